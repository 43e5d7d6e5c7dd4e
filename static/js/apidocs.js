// The API documentation page: Swagger UI (vendored from npm swagger-ui-dist) reading /api/openapi.json.
"use strict";
window.addEventListener("DOMContentLoaded", function () {
  var target = document.getElementById("swagger-ui");
  if (!target || typeof window.SwaggerUIBundle !== "function") {
    return;
  }
  window.SwaggerUIBundle({
    url: target.getAttribute("data-url"),
    domNode: target,
    deepLinking: true,
    tryItOutEnabled: false,
    validatorUrl: null // no call to swagger.io: nothing is fetched from elsewhere
  });
});
