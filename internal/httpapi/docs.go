package httpapi

import "net/http"

// docsPage is /docs: the OpenAPI document in Swagger UI, whose script and
// styles the web UI build embeds under /docs-assets/ (web/vite.config.ts),
// so the documentation works on a network without the internet. Until the
// UI is built, the page says where the document is.
func docsPage(w http.ResponseWriter, _ *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	// Swagger UI sets inline styles on its elements; scripts stay 'self'.
	h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "+
		"img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'none'")
	_, _ = w.Write([]byte(docsHTML))
}

const docsHTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>SPECTRA-Lab API</title>
<link rel="stylesheet" href="/docs-assets/swagger-ui.css">
</head>
<body>
<div id="swagger-ui">
<p style="font-family: sans-serif; margin: 2rem">The API is described by its OpenAPI 3.1 document:
<a href="/openapi.json">/openapi.json</a> (<a href="/openapi.yaml">YAML</a>;
<a href="/openapi-3.0.json">3.0</a> for older tools). The browsable view below needs the web UI build (<code>make build</code>).</p>
</div>
<script src="/docs-assets/swagger-ui-bundle.js"></script>
<script src="/docs-assets/init.js"></script>
</body>
</html>
`
