// Starts Swagger UI on the app's own OpenAPI document (the page names it in data-spec).
// "Try it out" requests echo the csrftoken cookie in x-csrftoken, as the patient app does.
(function () {
  'use strict';

  function csrfToken() {
    const match = document.cookie.match(/(?:^|; )csrftoken=([^;]*)/);
    return match ? decodeURIComponent(match[1]) : undefined;
  }

  window.ui = SwaggerUIBundle({
    url: document.body.dataset.spec,
    dom_id: '#swagger-ui',
    deepLinking: true,
    showExtensions: true,
    showCommonExtensions: true,
    presets: [SwaggerUIBundle.presets.apis],
    layout: 'BaseLayout',
    requestInterceptor: (request) => {
      const token = csrfToken();
      if (token) request.headers['x-csrftoken'] = token;
      return request;
    },
  });
})();
