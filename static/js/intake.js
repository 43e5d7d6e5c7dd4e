// The hotline console: point suggestions as the operator types, a quick category picker, the chosen category's
// extra questions, Ctrl+Enter saves.
(function () {
  var input = document.getElementById("point_code");
  var options = document.getElementById("point-options");
  var url = document.getElementById("intake").getAttribute("data-points-url");
  var timer = null;
  input.addEventListener("input", function () {
    clearTimeout(timer);
    var text = input.value.trim();
    if (!text) { return; }
    timer = setTimeout(function () {
      fetch(url + "?q=" + encodeURIComponent(text), {credentials: "same-origin", headers: {"Accept": "application/json"}})
        .then(function (response) { return response.ok ? response.json() : []; })
        .then(function (points) {
          options.replaceChildren.apply(options, points.map(function (point) {
            var option = document.createElement("option");
            option.value = point.code;
            option.label = point.name + " · " + point.area;
            return option;
          }));
        });
    }, 200);
  });
  var category = document.getElementById("category");
  /* The quick picker: typing filters the categories by name (简/繁/English), synonym, pinyin or initials (ldbl:
     路灯不亮); the keys come from the server. Without JavaScript the plain list works as before. */
  var filter = document.createElement("input");
  filter.type = "search";
  filter.className = "form-control form-control-sm mb-1";
  filter.id = "category-filter";
  filter.autocomplete = "off";
  filter.placeholder = category.getAttribute("data-filter-placeholder");
  filter.setAttribute("aria-label", filter.placeholder);
  filter.setAttribute("aria-controls", "category");
  category.parentNode.insertBefore(filter, category);
  filter.addEventListener("input", function () {
    var text = filter.value.trim().toLowerCase(), first = null;
    var options = category.querySelectorAll("option[data-keys]");
    for (var i = 0; i < options.length; i++) {
      var match = !text || options[i].getAttribute("data-keys").indexOf(text) !== -1;
      options[i].hidden = !match;
      if (match && !first) { first = options[i]; }
    }
    var groups = category.querySelectorAll("optgroup");
    for (var j = 0; j < groups.length; j++) {
      groups[j].hidden = !groups[j].querySelector("option:not([hidden])");
    }
    if (text && first && category.value !== first.value) {
      category.value = first.value;
      category.dispatchEvent(new Event("change"));
    }
  });
  filter.addEventListener("keydown", function (event) {
    if (event.key === "Enter") { event.preventDefault(); category.focus(); }
  });
  var fieldsets = document.querySelectorAll("fieldset.category-questions");
  function showQuestions() {  /* only the chosen category's extra questions; the server checks the same set */
    for (var i = 0; i < fieldsets.length; i++) {
      fieldsets[i].hidden = fieldsets[i].getAttribute("data-category") !== category.value;
    }
  }
  category.addEventListener("change", showQuestions);
  showQuestions();
  document.getElementById("description").addEventListener("keydown", function (event) {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      document.getElementById("intake").requestSubmit();
    }
  });
})();
