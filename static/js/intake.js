// The hotline console: point suggestions as the operator types, the chosen category's extra questions, Ctrl+Enter
// saves.
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
