// Starts Swagger UI 5 on the page /docs serves; the document's URL (/openapi.json, OpenAPI 3.1) is the
// data-spec-url of #swagger-ui. Everything is loaded from the gateway itself: no CDN, and no online
// validator (validatorUrl: null).
window.addEventListener("load", function () {
  var root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.dataset.specUrl,
    domNode: root,
    deepLinking: true,
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
  });
});
