/* Maps (Leaflet, vendored): every map is a <div class="ms-map" data-map-kind="..."> configured by data- attributes.
 * No tile URL (the default) draws the city's own boundaries on a plain background: nothing leaves the site.
 * Kinds: "cases" (the dispatcher's clustered cases), "points" (markers from a JSON list), "place" (one position),
 * "pick" (place a pin: fills the report form's hidden fields), "heat" (heat map + choropleth for leaders).
 * Positions arrive in the tiles' coordinate system; the server converts at the edge. */
(function () {
  "use strict";
  if (!window.L) { return; }
  var L = window.L;

  function json(url) {
    return fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); });
  }

  function text(tag, content, className) {
    var el = document.createElement(tag);
    el.textContent = content == null ? "" : String(content);
    if (className) { el.className = className; }
    return el;
  }

  function link(href, content, className) {
    var a = text("a", content, className);
    a.href = href;
    return a;
  }

  function baseMap(el) {
    var centre = (el.getAttribute("data-centre") || "").split(",").map(Number);
    var map = L.map(el, {zoomControl: true, attributionControl: true, preferCanvas: false});
    var tiles = el.getAttribute("data-tiles-url");
    if (tiles) {
      L.tileLayer(tiles, {attribution: el.getAttribute("data-tiles-attribution") || "", maxZoom: 19,
                          subdomains: el.getAttribute("data-tiles-subdomains") || "abc"}).addTo(map);
    } else {
      el.classList.add("ms-map-plain");
      map.attributionControl.setPrefix("");
    }
    if (centre.length === 2 && !isNaN(centre[0])) {
      map.setView(centre, +el.getAttribute("data-zoom") || 15);
    } else {
      map.setView([35, 105], 4);
    }
    return map;
  }

  function boundaries(el, map, fit) {
    var url = el.getAttribute("data-areas-url");
    if (!url) { return Promise.resolve(null); }
    if (!map.getPane("ms-areas")) {
      map.createPane("ms-areas").className += " ms-areas-pane";  /* below the markers, whichever loads first */
    }
    return json(url).then(function (data) {
      var layer = L.geoJSON(data, {
        pane: "ms-areas",
        style: function () { return {className: "ms-area", weight: 1, fillOpacity: 0.05}; },
        onEachFeature: function (feature, shape) {
          if (feature.properties && feature.properties.name) {
            shape.bindTooltip(feature.properties.name, {sticky: true});
          }
        }
      }).addTo(map);
      if (fit && layer.getBounds().isValid()) { map.fitBounds(layer.getBounds()); }
      return layer;
    }).catch(function () { return null; });
  }

  function clusterIcon(count) {
    var size = count < 10 ? "s" : (count < 100 ? "m" : "l");
    return L.divIcon({className: "ms-cluster ms-cluster-" + size, html: "<span>" + (+count) + "</span>",
                      iconSize: null});
  }

  function casePopup(c, labels) {
    var box = document.createElement("div");
    box.className = "ms-popup";
    box.appendChild(link(c.url, c.number, "fw-semibold"));
    box.appendChild(text("div", c.category));
    box.appendChild(text("div", c.state_label, "text-muted small"));
    if (c.next) { box.appendChild(link(c.url + "#actions", c.next, "btn btn-sm btn-primary mt-1 ms-next")); }
    return box;
  }

  function casesMap(el) {
    var map = baseMap(el), layer = L.layerGroup().addTo(map), url = el.getAttribute("data-url");
    var status = document.getElementById(el.getAttribute("data-status") || "");
    var serial = 0;
    function load() {
      var b = map.getBounds(), mine = ++serial;
      var bbox = [Math.max(-180, b.getWest()), Math.max(-90, b.getSouth()),
                  Math.min(180, b.getEast()), Math.min(90, b.getNorth())].map(function (n) { return n.toFixed(6); });
      var sep = url.indexOf("?") < 0 ? "?" : "&";
      json(url + sep + "bbox=" + bbox.join(",") + "&zoom=" + map.getZoom()).then(function (data) {
        if (mine !== serial) { return; }
        layer.clearLayers();
        data.clusters.forEach(function (c) {
          L.marker([c.lat, c.lng], {icon: clusterIcon(c.count), keyboard: true, title: String(c.count)})
            .on("click", function () { map.setView([c.lat, c.lng], Math.min(map.getZoom() + 2, 19)); })
            .addTo(layer);
        });
        data.cases.forEach(function (c) {
          L.circleMarker([c.lat, c.lng], {radius: 8, className: "ms-case ms-light-" + (c.light || "none")})
            .bindPopup(casePopup(c)).addTo(layer);
        });
        el.setAttribute("data-loaded", String(data.total));
        if (status) { status.textContent = status.getAttribute("data-template").replace("{n}", data.total); }
      }).catch(function () { if (status) { status.textContent = status.getAttribute("data-failed"); } });
    }
    map.on("moveend", load);
    boundaries(el, map, !el.getAttribute("data-centre")).then(load);
  }

  function pointsMap(el) {
    var map = baseMap(el), layer = L.featureGroup().addTo(map);
    boundaries(el, map, false);
    json(el.getAttribute("data-url")).then(function (data) {
      data.items.forEach(function (item) {
        var box = document.createElement("div");
        box.appendChild(item.url ? link(item.url, item.title, "fw-semibold") : text("div", item.title));
        if (item.subtitle) { box.appendChild(text("div", item.subtitle, "text-muted small")); }
        L.circleMarker([item.lat, item.lng], {radius: 7, className: "ms-case ms-light-none"}).bindPopup(box)
          .addTo(layer);
      });
      if (layer.getLayers().length) { map.fitBounds(layer.getBounds().pad(0.2), {maxZoom: 16}); }
      el.setAttribute("data-loaded", String(data.items.length));
    });
  }

  function placeMap(el) {
    var map = baseMap(el);
    L.circleMarker(el.getAttribute("data-centre").split(",").map(Number), {radius: 8, className: "ms-case"})
      .addTo(map);
    boundaries(el, map, false);
  }

  function pickMap(el) {
    var map = baseMap(el), marker = null;
    var lat = document.getElementById(el.getAttribute("data-lat")), lng = document.getElementById(el.getAttribute("data-lng"));
    var source = document.getElementById(el.getAttribute("data-source"));
    var status = document.getElementById(el.getAttribute("data-status") || "");
    boundaries(el, map, !el.getAttribute("data-centre"));
    map.on("click", function (e) {
      if (marker) { marker.setLatLng(e.latlng); } else { marker = L.marker(e.latlng, {keyboard: false}).addTo(map); }
      lat.value = e.latlng.lat.toFixed(6);
      lng.value = e.latlng.lng.toFixed(6);
      source.value = "pin";
      el.setAttribute("data-picked", "1");
      if (status) { status.textContent = status.getAttribute("data-picked"); }
      lat.dispatchEvent(new Event("change", {bubbles: true}));
    });
  }

  function heatMap(el) {
    var map = baseMap(el);
    json(el.getAttribute("data-url")).then(function (data) {
      var max = 0;
      data.areas.features.forEach(function (f) { max = Math.max(max, f.properties.value || 0); });
      var layer = L.geoJSON(data.areas, {
        style: function (f) {
          var share = max ? (f.properties.value || 0) / max : 0;
          return {className: "ms-choropleth ms-choropleth-" + Math.min(4, Math.floor(share * 5)), weight: 1};
        },
        onEachFeature: function (f, shape) {
          shape.bindTooltip(f.properties.name + ": " + f.properties.label, {sticky: true});
        }
      }).addTo(map);
      if (L.heatLayer && data.points.length) {
        L.heatLayer(data.points, {radius: 18, blur: 14, maxZoom: 15}).addTo(map);
      }
      if (layer.getBounds().isValid()) { map.fitBounds(layer.getBounds()); }
      el.setAttribute("data-loaded", String(data.areas.features.length));
    });
  }

  var KINDS = {cases: casesMap, points: pointsMap, place: placeMap, pick: pickMap, heat: heatMap};

  function start(root) {
    Array.prototype.forEach.call((root || document).querySelectorAll(".ms-map[data-map-kind]"), function (el) {
      if (el.getAttribute("data-started")) { return; }
      el.setAttribute("data-started", "1");
      var kind = KINDS[el.getAttribute("data-map-kind")];
      if (kind) { kind(el); }
    });
  }

  window.MinshengMap = {start: start};
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { start(); });
  } else {
    start();
  }
})();
