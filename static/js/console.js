// Every staff page. A button with data-confirm="question" asks before its form is sent (no inline handlers: the
// Content-Security-Policy allows only our own scripts).
document.addEventListener("click", function (event) {
  var button = event.target.closest("[data-confirm]");
  if (button && !window.confirm(button.getAttribute("data-confirm"))) { event.preventDefault(); }
});
