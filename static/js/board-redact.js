/* Redaction boxes: drag rectangles on a photo; each box goes into the form's text field as "x, y, w, h" in the
   ORIGINAL's pixels (the image may be shown smaller). Without JavaScript the field is typed by hand. */
(function () {
  "use strict";

  function parse(text) {
    var boxes = [];
    text.split(/\n/).forEach(function (line) {
      var parts = line.split(/[,，]/).map(function (p) { return parseInt(p, 10); });
      if (parts.length === 4 && parts.every(function (n) { return !isNaN(n); })) { boxes.push(parts); }
    });
    return boxes;
  }

  function setup(holder) {
    var img = holder.querySelector("img");
    var field = document.getElementById(holder.getAttribute("data-target"));
    if (!img || !field) { return; }
    var width = parseInt(holder.getAttribute("data-width"), 10);
    var height = parseInt(holder.getAttribute("data-height"), 10);
    var form = field.form;
    var clear = form.querySelector(".ms-redact-clear");
    var start = null;
    var live = null;

    function scale() { return img.clientWidth ? width / img.clientWidth : 1; }

    function draw() {
      holder.querySelectorAll(".ms-redact-box").forEach(function (el) { el.remove(); });
      var s = scale();
      parse(field.value).forEach(function (b) {
        var el = document.createElement("div");
        el.className = "ms-redact-box";
        el.style.left = (b[0] / s) + "px";
        el.style.top = (b[1] / s) + "px";
        el.style.width = (b[2] / s) + "px";
        el.style.height = (b[3] / s) + "px";
        holder.appendChild(el);
      });
    }

    function point(event) {
      var rect = img.getBoundingClientRect();
      var s = scale();
      var x = Math.round((event.clientX - rect.left) * s);
      var y = Math.round((event.clientY - rect.top) * s);
      return [Math.max(0, Math.min(width, x)), Math.max(0, Math.min(height, y))];
    }

    holder.addEventListener("pointerdown", function (event) {
      event.preventDefault();
      start = point(event);
      live = document.createElement("div");
      live.className = "ms-redact-box";
      holder.appendChild(live);
      holder.setPointerCapture(event.pointerId);
    });
    holder.addEventListener("pointermove", function (event) {
      if (!start) { return; }
      var p = point(event);
      var s = scale();
      live.style.left = (Math.min(start[0], p[0]) / s) + "px";
      live.style.top = (Math.min(start[1], p[1]) / s) + "px";
      live.style.width = (Math.abs(p[0] - start[0]) / s) + "px";
      live.style.height = (Math.abs(p[1] - start[1]) / s) + "px";
    });
    holder.addEventListener("pointerup", function (event) {
      if (!start) { return; }
      var p = point(event);
      var box = [Math.min(start[0], p[0]), Math.min(start[1], p[1]), Math.abs(p[0] - start[0]), Math.abs(p[1] - start[1])];
      start = null;
      if (box[2] >= 2 && box[3] >= 2) {
        field.value = (field.value.trim() ? field.value.trim() + "\n" : "") + box.join(", ");
      }
      draw();
    });
    field.addEventListener("input", draw);
    window.addEventListener("resize", draw);
    if (img.complete) { draw(); } else { img.addEventListener("load", draw); }
    if (clear) {
      clear.hidden = false;
      clear.addEventListener("click", function () { field.value = ""; draw(); });
    }
  }

  document.querySelectorAll(".ms-redact").forEach(setup);
})();
