/* Survey answering on a phone: one section per screen with progress, display conditions, and answers kept in
   localStorage (with the form's idempotency key) so a reload or a dropped connection loses nothing and a
   retried submit is recognised. Without this script the page is one long form that works the same. */
(function () {
  "use strict";
  var done = document.getElementById("survey-done");
  if (done) {
    try { localStorage.removeItem("ms-survey-" + done.getAttribute("data-slug")); } catch (e) { /* private mode */ }
    return;
  }
  var root = document.getElementById("survey");
  var form = document.getElementById("survey-form");
  if (!root || !form) { return; }
  var storeKey = "ms-survey-" + root.getAttribute("data-slug");
  var sections = Array.prototype.slice.call(form.querySelectorAll(".ms-section"));
  var questions = Array.prototype.slice.call(form.querySelectorAll(".ms-q"));
  var current = 0;

  function fields(scope) { return Array.prototype.slice.call(scope.querySelectorAll("input, textarea, select")); }

  function chosen(key) {
    return fields(form).filter(function (el) {
      return el.name === "q-" + key && !el.disabled && ((el.type !== "radio" && el.type !== "checkbox") || el.checked);
    }).map(function (el) { return el.value; }).filter(function (v) { return v !== ""; });
  }

  function applyConditions() {
    questions.forEach(function (q) {
      var on = q.getAttribute("data-if");
      if (!on) { return; }
      var wanted = q.getAttribute("data-values").split(",");
      var other = form.querySelector('.ms-q[data-key="' + on + '"]');
      var show = other && !other.hidden && chosen(on).some(function (v) { return wanted.indexOf(v) >= 0; });
      q.hidden = !show;
      fields(q).forEach(function (el) { el.disabled = !show; });
    });
  }

  function save() {
    var data = {};
    fields(form).forEach(function (el) {
      if (!el.name || el.name === "csrf_token" || ((el.type === "radio" || el.type === "checkbox") && !el.checked)) { return; }
      (data[el.name] = data[el.name] || []).push(el.value);
    });
    try { localStorage.setItem(storeKey, JSON.stringify({values: data, step: current})); } catch (e) { /* full */ }
  }

  function restore() {
    var saved;
    try { saved = JSON.parse(localStorage.getItem(storeKey) || "null"); } catch (e) { saved = null; }
    if (!saved || !saved.values || form.querySelector(".ms-q-error, #form-error")) { return 0; }
    fields(form).forEach(function (el) {
      var values = saved.values[el.name];
      if (!values || el.name === "csrf_token") { return; }
      if (el.type === "radio" || el.type === "checkbox") { el.checked = values.indexOf(el.value) >= 0; }
      else { el.value = values[0]; }
    });
    return saved.step || 0;
  }

  function missing(scope) {
    return Array.prototype.slice.call(scope.querySelectorAll('.ms-q[data-required="1"]')).filter(function (q) {
      if (q.hidden) { return false; }
      if (q.getAttribute("data-kind") === "matrix") {
        var groups = {};
        fields(q).forEach(function (el) { groups[el.name] = groups[el.name] || el.checked; });
        return Object.keys(groups).some(function (name) { return !groups[name]; });
      }
      return chosen(q.getAttribute("data-key")).length === 0;
    });
  }

  function show(index) {
    current = Math.max(0, Math.min(index, sections.length - 1));
    sections.forEach(function (s, i) { s.hidden = i !== current; });
    var bar = form.querySelector(".weui-progress__inner-bar");
    if (bar) { bar.style.width = Math.round(100 * (current + 1) / sections.length) + "%"; }
    var label = form.querySelector(".ms-step-label");
    if (label) {
      label.textContent = root.getAttribute("data-msg-step").replace("{n}", current + 1).replace("{total}", sections.length);
    }
    form.querySelector(".ms-prev").hidden = current === 0;
    form.querySelector(".ms-next").hidden = current === sections.length - 1;
    form.querySelector(".ms-submit").hidden = current !== sections.length - 1;
    window.scrollTo(0, 0);
  }

  function warn(list) {
    questions.forEach(function (q) { q.classList.remove("ms-q-error"); });
    list.forEach(function (q) { q.classList.add("ms-q-error"); });
    if (list.length) {
      list[0].scrollIntoView();
      window.alert(root.getAttribute("data-msg-required"));
    }
    return list.length === 0;
  }

  root.classList.add("ms-js");
  var step = restore();
  applyConditions();
  var firstError = form.querySelector(".ms-q-error");
  if (firstError) {
    step = sections.indexOf(firstError.closest(".ms-section"));
  }
  show(step);

  form.addEventListener("change", function () { applyConditions(); save(); });
  form.addEventListener("input", save);
  form.querySelector(".ms-next").addEventListener("click", function () {
    if (warn(missing(sections[current]))) { show(current + 1); save(); }
  });
  form.querySelector(".ms-prev").addEventListener("click", function () { show(current - 1); save(); });
  form.addEventListener("submit", function (event) {
    if (!warn(missing(form))) { event.preventDefault(); return; }
    save();
    var button = form.querySelector('.ms-submit button[type="submit"]');
    setTimeout(function () { button.disabled = true; }, 0);  // one tap, one submit; a reload may retry safely
  });
})();
