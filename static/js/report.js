/* Public complaint pages: progressive enhancements only. Every page works without this file.
   Report form: category search (简/繁/English, server-side), urgent and extra questions per category, browser
   location, "already reported nearby?", photo limits checked before sending, a character counter.
   Rating form: the 重办 checkbox only for a dissatisfied rating. Plain ES5 for old in-app browsers. */
(function () {
  "use strict";

  document.documentElement.className += " ms-js";

  function byId(id) { return document.getElementById(id); }

  function getJSON(url, done) {
    var xhr = new XMLHttpRequest();
    xhr.open("GET", url);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.onload = function () {
      if (xhr.status !== 200) { return; }
      try { done(JSON.parse(xhr.responseText)); } catch (e) { /* ignore a broken answer */ }
    };
    xhr.send();
  }

  function debounce(fn, ms) {
    var timer = null;
    return function () {
      var args = arguments, self = this;
      clearTimeout(timer);
      timer = setTimeout(function () { fn.apply(self, args); }, ms);
    };
  }

  /* Build elements with textContent only: nothing from the server is parsed as HTML. */
  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }

  function query(params) {
    var parts = [];
    for (var key in params) {
      if (params.hasOwnProperty(key) && params[key] !== "" && params[key] !== null && params[key] !== undefined) {
        parts.push(encodeURIComponent(key) + "=" + encodeURIComponent(params[key]));
      }
    }
    return parts.join("&");
  }

  /* ------------------------------------------------------------ place search (outside the report form) */
  var placeForm = byId("place-search");
  if (placeForm) {
    var placeInput = byId("place-query"), placeResults = byId("place-results");
    placeInput.addEventListener("input", debounce(function () {
      var q = placeInput.value.trim();
      if (!q) { return; }
      getJSON(placeForm.getAttribute("data-url") + "?" + query({q: q}), function (data) {
        placeResults.textContent = "";
        var list = el("div", "weui-cells");
        data.points.forEach(function (p) {
          var link = el("a", "weui-cell weui-cell_access");
          link.href = p.url;
          var body = el("div", "weui-cell__bd");
          body.appendChild(el("p", "", p.name));
          body.appendChild(el("p", "weui-cell__desc", p.area + (p.address ? " · " + p.address : "")));
          link.appendChild(body);
          link.appendChild(el("div", "weui-cell__ft"));
          list.appendChild(link);
        });
        if (data.points.length) { placeResults.appendChild(list); }
      });
    }, 300));
  }

  /* ------------------------------------------------------------ the report form */
  var form = byId("report-form");
  if (form) { enhanceReport(form); }

  function enhanceReport(form) {
    var msg = function (name) { return form.getAttribute("data-msg-" + name) || ""; };
    var select = byId("category_id");
    var lat = byId("latitude"), lng = byId("longitude");

    function selectedOption() { return select.options[select.selectedIndex]; }

    function onCategoryChange() {
      var option = selectedOption(), id = select.value;
      var urgent = byId("urgent-cell");
      if (urgent) { urgent.hidden = !id || option.getAttribute("data-urgent") !== "1"; }
      var sets = document.querySelectorAll(".ms-questions");
      for (var i = 0; i < sets.length; i++) { sets[i].hidden = sets[i].getAttribute("data-category") !== id; }
      refreshSimilar();
    }
    select.addEventListener("change", onCategoryChange);

    /* Category search: the server matches 简体, 繁體 and English; a tap picks the category in the select. */
    var search = byId("category-search"), results = byId("category-results");
    search.addEventListener("input", debounce(function () {
      var q = search.value.trim();
      results.textContent = "";
      if (!q) { return; }
      getJSON(form.getAttribute("data-categories-url") + "?" + query({q: q}), function (data) {
        results.textContent = "";
        if (!data.categories.length) { results.appendChild(el("span", "weui-cell__desc", msg("no-category"))); }
        data.categories.slice(0, 12).forEach(function (c) {
          var button = el("button", "", c.name + " ");
          button.type = "button";
          button.appendChild(el("small", "", c.group));
          button.addEventListener("click", function () {
            select.value = String(c.id);
            results.textContent = "";
            search.value = "";
            onCategoryChange();
          });
          results.appendChild(button);
        });
      });
    }, 250));

    /* "Already reported nearby?" for the chosen category at the bound point or the shared location. */
    var similarBox = byId("similar-nearby");
    function refreshSimilar() {
      var point = form.getAttribute("data-point-id");
      var here = lat && lat.value ? {lat: lat.value, lng: lng.value} : {};
      similarBox.textContent = "";
      if (!select.value || (!point && !here.lat)) { return; }
      getJSON(form.getAttribute("data-similar-url") + "?" + query({category: select.value, point: point,
                                                                     lat: here.lat, lng: here.lng}), function (data) {
        similarBox.textContent = "";
        if (!data.cases.length) { return; }
        similarBox.appendChild(el("h2", "weui-cells__title", msg("similar")));
        var list = el("div", "weui-cells");
        data.cases.forEach(function (c) {
          var cell = el("div", "weui-cell"), body = el("div", "weui-cell__bd"), foot = el("div", "weui-cell__ft");
          body.appendChild(el("p", "", c.category + " · " + c.state));
          body.appendChild(el("p", "weui-cell__desc", c.excerpt));
          body.appendChild(el("p", "weui-cell__desc", c.number + " · " + c.reported_at));
          var link = el("a", "weui-btn weui-btn_mini weui-btn_default", msg("me-too"));
          link.href = c.me_too_url;
          foot.appendChild(link);
          cell.appendChild(body);
          cell.appendChild(foot);
          list.appendChild(cell);
        });
        similarBox.appendChild(list);
      });
    }

    /* Browser location: fills the hidden fields; the server checks the ranges again. */
    var locate = byId("locate"), status = byId("locate-status");
    if (locate) {
      if (!navigator.geolocation) { byId("locate-cell").style.display = "none"; }
      locate.addEventListener("click", function () {
        status.textContent = msg("locating");
        navigator.geolocation.getCurrentPosition(function (position) {
          lat.value = position.coords.latitude.toFixed(6);
          lng.value = position.coords.longitude.toFixed(6);
          byId("location_source").value = "";  /* the phone's GPS, not a pin */
          status.textContent = msg("located").replace("{m}", Math.round(position.coords.accuracy || 0));
          refreshSimilar();
        }, function () {
          status.textContent = msg("no-location");
        }, {enableHighAccuracy: true, timeout: 15000, maximumAge: 60000});
      });
    }

    /* Photos: the same limits as the server, told before a long upload rather than after it. */
    var photos = byId("photos"), photoCheck = byId("photos-check");
    function photoProblems() {
      var files = photos.files || [], maxCount = +form.getAttribute("data-max-photos");
      var maxBytes = form.getAttribute("data-max-photo-mb") * 1048576;
      var maxTotal = form.getAttribute("data-max-total-mb") * 1048576;
      var problems = [], large = [], total = 0;
      if (files.length > maxCount) { problems.push(msg("too-many")); }
      for (var i = 0; i < files.length; i++) {
        total += files[i].size;
        if (files[i].size > maxBytes) { large.push(files[i].name); }
      }
      if (large.length) { problems.push(msg("too-large") + " " + large.join(", ")); }
      if (maxTotal && total > maxTotal * 0.95) { problems.push(msg("total")); }
      return problems;
    }
    photos.addEventListener("change", function () { photoCheck.textContent = photoProblems().join(" "); });

    var description = byId("description"), counter = byId("description-count"), over = byId("description-over");
    var countDescription = function () {
      var length = description.value.length, max = parseInt(description.getAttribute("data-max"), 10) || 0;
      counter.textContent = length;
      counter.parentNode.classList.toggle("ms-over", max > 0 && length > max);
      over.textContent = max > 0 && length > max ? msg("too-long").replace("{n}", length - max) : "";
    };
    description.addEventListener("input", countDescription);
    countDescription();

    var anonymous = byId("anonymous"), contact = byId("contact-fields");
    if (anonymous && contact) {
      anonymous.addEventListener("change", function () { contact.hidden = anonymous.checked; });
    }

    form.addEventListener("submit", function (event) {
      var problems = photoProblems();
      if (problems.length) {
        event.preventDefault();
        photoCheck.textContent = problems.join(" ");
        photos.focus();
        return;
      }
      var button = byId("submit-report");
      button.setAttribute("data-label", button.textContent);
      button.disabled = true;
      button.className += " weui-btn_loading";
      button.textContent = msg("sending");
    });

    /* Coming back to the page (back button) must not leave the button stuck on "Sending…". */
    window.addEventListener("pageshow", function () {
      var button = byId("submit-report");
      button.disabled = false;
      button.className = button.className.replace(" weui-btn_loading", "");
      if (button.getAttribute("data-label")) { button.textContent = button.getAttribute("data-label"); }
    });

    onCategoryChange();
  }

  /* ------------------------------------------------------------ the rating form: 重办 only when dissatisfied */
  var rating = byId("rating-form");
  if (rating) {
    var reopen = byId("reopen-cell"), reopenBox = byId("ask_reopen");
    var update = function () {
      var chosen = rating.querySelector("input[name=rating]:checked");
      var unhappy = !!chosen && chosen.getAttribute("data-dissatisfied") === "1";
      reopen.hidden = !unhappy;
      if (!unhappy) { reopenBox.checked = false; }
    };
    var radios = rating.querySelectorAll("input[name=rating]");
    for (var i = 0; i < radios.length; i++) { radios[i].addEventListener("change", update); }
    update();
  }
  /* Maps ("Pick the place on the map", the tracking page's map): Leaflet and the map script are fetched only when a
     button asks for them, so a page keeps its weight budget; without JavaScript the area list does the same job. */
  function addFile(tag, attrs, done) {
    var node = document.createElement(tag);
    for (var name in attrs) { if (attrs.hasOwnProperty(name)) { node.setAttribute(name, attrs[name]); } }
    if (done) { node.onload = done; }
    document.head.appendChild(node);
  }
  var mapFiles = null;
  function withMaps(button, done) {
    if (window.MinshengMap) { done(); return; }
    if (mapFiles) { mapFiles.push(done); return; }
    mapFiles = [done];
    addFile("link", {rel: "stylesheet", href: button.getAttribute("data-leaflet-css")});
    addFile("link", {rel: "stylesheet", href: button.getAttribute("data-map-css")});
    addFile("script", {src: button.getAttribute("data-leaflet-js")}, function () {
      addFile("script", {src: button.getAttribute("data-map-js")}, function () {
        var waiting = mapFiles;
        for (var i = 0; i < waiting.length; i++) { waiting[i](); }
      });
    });
  }
  var openers = document.querySelectorAll(".ms-map-open");
  for (var m = 0; m < openers.length; m++) {
    openers[m].addEventListener("click", function () {
      var button = this, box = byId(button.getAttribute("data-map"));
      if (!box || button.getAttribute("data-opened")) { return; }
      button.setAttribute("data-opened", "1");
      withMaps(button, function () {
        box.hidden = false;
        var lat = byId(box.getAttribute("data-lat") || ""), lng = byId(box.getAttribute("data-lng") || "");
        if (!box.getAttribute("data-centre") && lat && lng && lat.value && lng.value) {
          box.setAttribute("data-centre", lat.value + "," + lng.value);
        }
        box.setAttribute("data-map-kind", box.getAttribute("data-kind"));
        window.MinshengMap.start(box.parentNode);
      });
    });
  }
}());
