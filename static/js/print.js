// Printable pages: a button marked data-print opens the browser's print dialog (no inline handlers: see the CSP).
document.addEventListener("click", function (event) {
  if (event.target.closest("[data-print]")) { window.print(); }
});
