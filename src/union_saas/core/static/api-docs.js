// Swagger UI over the API's OpenAPI document (its URL in data-spec-url); "Authorize" takes a bearer token.
window.addEventListener("DOMContentLoaded", () => {
  const root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({ url: root.dataset.specUrl, dom_id: "#swagger-ui", deepLinking: true,
                                persistAuthorization: false });
});
