// Package webui serves the web UI: the files Vite builds from web/ into
// dist/, embedded in the binary. Any path that is not a file gets
// index.html, so the browser's router can take client-side URLs such as
// /samples/123 straight from the address bar.
package webui

import (
	"embed"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"
)

//go:embed all:dist
var dist embed.FS

// Built reports whether the binary embeds a UI build (not only the
// placeholder that lets Go build before `npm run build`).
func Built() bool {
	_, err := fs.Stat(dist, "dist/index.html")
	return err == nil
}

// Handler serves the embedded build.
func Handler() http.Handler {
	sub, err := fs.Sub(dist, "dist")
	if err != nil {
		panic("webui: " + err.Error()) // dist is embedded, so Sub cannot fail
	}
	return New(sub)
}

// New serves the UI from files, which must hold index.html at its root (a
// build); without one every request gets a page that says how to build it.
// Only GET and HEAD reach it: the API's router answers other methods.
func New(files fs.FS) http.Handler {
	index, err := fs.ReadFile(files, "index.html")
	if err != nil {
		return http.HandlerFunc(notBuilt)
	}
	return &handler{files: files, fileServer: http.FileServerFS(files), index: index}
}

type handler struct {
	files      fs.FS
	fileServer http.Handler
	index      []byte
}

// csp lets the page load only its own scripts, styles and API: the build
// has no inline script, and React sets styles through the DOM, which CSP
// does not restrict.
const csp = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Security-Policy", csp)
	name := strings.TrimPrefix(path.Clean("/"+r.URL.Path), "/")
	if strings.HasPrefix(name, "assets/") {
		if st, err := fs.Stat(h.files, name); err != nil || st.IsDir() {
			// A page that asks for a missing script must fail, not get HTML.
			http.Error(w, "404 page not found", http.StatusNotFound)
			return
		}
	}
	if name != "" && name != "index.html" {
		if st, err := fs.Stat(h.files, name); err == nil && !st.IsDir() {
			if strings.HasPrefix(name, "assets/") {
				// Vite names these after their content's hash: a changed
				// file gets a new name, so the old one never goes stale.
				w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
			} else {
				w.Header().Set("Cache-Control", "no-cache")
			}
			h.fileServer.ServeHTTP(w, r)
			return
		}
	}
	// index.html names the current hashed assets, so the browser must
	// check it again on every load.
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	http.ServeContent(w, r, "index.html", time.Time{}, strings.NewReader(string(h.index)))
}

const notBuiltPage = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>SPECTRA-Lab</title></head>
<body><h1>The web UI was not built</h1>
<p>This binary was built without the web UI. Build it with <code>make build</code>
(or <code>make web</code>, then <code>go build ./cmd/spectra</code>).
The API is at <a href="/docs">/docs</a>.</p></body></html>
`

func notBuilt(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write([]byte(notBuiltPage))
	}
}
