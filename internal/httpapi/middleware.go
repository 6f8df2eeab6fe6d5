package httpapi

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/google/uuid"
)

// requestIDHeader carries the request id in and out.
const requestIDHeader = "X-Request-ID"

type requestIDKey struct{}

// RequestID returns the id the request-id middleware gave the request, or
// "" outside a request.
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// validRequestID accepts ids a proxy or client may reasonably send and that
// are safe to log and echo: ^[A-Za-z0-9._:/@+-]{1,128}$.
func validRequestID(s string) bool {
	if len(s) == 0 || len(s) > 128 {
		return false
	}
	for _, c := range []byte(s) {
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case c == '.', c == '_', c == ':', c == '/', c == '@', c == '+', c == '-':
		default:
			return false
		}
	}
	return true
}

// withRequestID keeps a well-formed incoming X-Request-ID, so one id
// follows a request through proxies, and otherwise makes a UUIDv7 (time
// ordered, so ids sort like the log).
func withRequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get(requestIDHeader)
		if !validRequestID(id) {
			// NewV7 fails only if crypto/rand does, which Go treats as fatal.
			id = uuid.Must(uuid.NewV7()).String()
		}
		w.Header().Set(requestIDHeader, id)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), requestIDKey{}, id)))
	})
}

// requestInfo is what a log line or a problem needs to know of a request.
type requestInfo struct {
	ctx              context.Context
	id, method, path string
}

func infoOf(r *http.Request) requestInfo {
	return requestInfo{ctx: r.Context(), id: RequestID(r.Context()), method: r.Method, path: r.URL.Path}
}

// recoverPanics answers a panicking handler with a 500 problem and logs the
// panic and its stack once. http.ErrAbortHandler passes through: it is the
// documented way to abort a response, and net/http handles it quietly.
//
// The status line is held back until the body starts (heldWriter): huma
// sets the status before it encodes the body, so a value that cannot be
// encoded (jsonFormat panics) still finds nothing sent and gets a clean
// 500 problem instead of a cut connection.
func recoverPanics(log *slog.Logger) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			before := w.Header().Clone()
			held := &heldWriter{ResponseWriter: w}
			defer func() {
				v := recover()
				if v == nil {
					held.send()
					return
				}
				if err, ok := v.(error); ok && errors.Is(err, http.ErrAbortHandler) {
					panic(v)
				}
				info := infoOf(r)
				log.LogAttrs(r.Context(), slog.LevelError, "panic",
					slog.String("request_id", info.id), slog.String("method", info.method),
					slog.String("path", info.path), slog.Any("panic", v),
					slog.String("stack", string(debug.Stack())))
				if held.sent {
					// Half a response is out; appending a problem would
					// corrupt it. Cutting the connection tells the client.
					panic(http.ErrAbortHandler)
				}
				// Nothing is out: forget the handler's status and headers
				// (ETag, Location, cookies of an answer that is not sent).
				held.status = 0
				h := w.Header()
				clear(h)
				for k, vs := range before {
					h[k] = vs
				}
				setSecurityHeaders(h)
				// Logged above: the problem carries no cause to log again.
				writeProblem(log, held, r, internalProblem(nil))
			}()
			next.ServeHTTP(held, r)
		})
	}
}

// heldWriter holds the status back until the first byte of the body, a
// flush, or the end of the handler.
type heldWriter struct {
	http.ResponseWriter
	status int  // the status held back; 0: none yet
	sent   bool // the status line is out
}

func (h *heldWriter) WriteHeader(code int) {
	switch {
	case h.sent || code < 200: // informational answers go at once
		h.ResponseWriter.WriteHeader(code)
	case h.status == 0:
		h.status = code
	}
}

func (h *heldWriter) send() {
	if !h.sent {
		h.sent = true
		if h.status != 0 {
			h.ResponseWriter.WriteHeader(h.status)
		}
	}
}

func (h *heldWriter) Write(b []byte) (int, error) {
	h.send()
	return h.ResponseWriter.Write(b)
}

// FlushError sends the held status, then flushes (http.ResponseController).
func (h *heldWriter) FlushError() error {
	h.send()
	return http.NewResponseController(h.ResponseWriter).Flush()
}

// Flush makes a heldWriter an http.Flusher.
func (h *heldWriter) Flush() { _ = h.FlushError() }

// Unwrap lets http.ResponseController reach the connection underneath.
func (h *heldWriter) Unwrap() http.ResponseWriter { return h.ResponseWriter }

// accessLog writes one line per request. It sits inside recoverPanics, so
// it logs a panicking request as the 500 that recoverPanics will send,
// whatever status the handler had set before it panicked.
func accessLog(log *slog.Logger) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			start := time.Now()
			rec := &recorder{ResponseWriter: w}
			returned := false
			defer func() {
				status := rec.status
				if !returned {
					status = http.StatusInternalServerError
				} else if status == 0 {
					status = http.StatusOK
				}
				log.LogAttrs(r.Context(), slog.LevelInfo, "request",
					slog.String("method", r.Method), slog.String("path", r.URL.Path),
					slog.Int("status", status), slog.Int64("bytes", rec.bytes),
					slog.Float64("duration_ms", float64(time.Since(start).Microseconds())/1000),
					slog.String("request_id", RequestID(r.Context())),
					slog.String("remote_addr", r.RemoteAddr))
			}()
			next.ServeHTTP(rec, r)
			returned = true
		})
	}
}

// limitBody caps every request body: at maxUpload for the routes that take
// uploads (Route.Upload), at maxBody for the rest. Reading past the limit
// fails with an *http.MaxBytesError, which problemFor turns into 413.
func (s *server) limitBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		limit := s.maxBody
		if _, pattern := s.uploads.Handler(r); pattern != "" {
			limit = s.maxUpload
		}
		r.Body = http.MaxBytesReader(w, r.Body, limit)
		next.ServeHTTP(w, r)
	})
}

// securityHeaders are safe for every answer: the API is never framed, its
// JSON is never sniffed into HTML, and its URLs never leak as a Referer.
// With hsts (the server serves HTTPS itself), browsers are also told to
// use nothing but HTTPS for two years.
func securityHeaders(hsts bool) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			setSecurityHeaders(w.Header())
			if hsts {
				w.Header().Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
			}
			next.ServeHTTP(w, r)
		})
	}
}

func setSecurityHeaders(h http.Header) {
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
}

// recorder notes the status and size of a response. Unwrap lets
// http.ResponseController (and huma's body read deadline) reach the
// connection underneath.
type recorder struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (rec *recorder) WriteHeader(code int) {
	if rec.status == 0 && code >= 200 {
		rec.status = code
	}
	rec.ResponseWriter.WriteHeader(code)
}

func (rec *recorder) Write(b []byte) (int, error) {
	if rec.status == 0 {
		rec.status = http.StatusOK
	}
	n, err := rec.ResponseWriter.Write(b)
	rec.bytes += int64(n)
	return n, err
}

func (rec *recorder) Unwrap() http.ResponseWriter { return rec.ResponseWriter }
