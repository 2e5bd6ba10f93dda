// Starts Swagger UI on /docs (kept out of the page so the CSP needs no inline script).
"use strict";
(function () {
  const root = document.getElementById("swagger-ui");
  window.ui = window.SwaggerUIBundle({
    url: root.dataset.openapiUrl,
    dom_id: "#swagger-ui",
    deepLinking: true,
  });
})();
