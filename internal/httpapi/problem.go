package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/validation"

	"github.com/spectra-lab/spectra/internal/spectra"
)

// problemJSON is the media type of every error answer (RFC 9457).
const problemJSON = "application/problem+json"

// Problem is the body of every error answer: an RFC 9457 problem document
// with our error code and the invalid fields. It is also huma's error type,
// so validation errors and handler errors share one shape.
type Problem struct {
	Type      string               `json:"type" doc:"Always about:blank: code classifies the problem."`
	Title     string               `json:"title" doc:"The HTTP status text."`
	Status    int                  `json:"status" doc:"The HTTP status code."`
	Detail    string               `json:"detail" doc:"What went wrong, safe to show a user."`
	Instance  string               `json:"instance,omitempty" doc:"The request path."`
	RequestID string               `json:"request_id,omitempty" doc:"The X-Request-ID of the request, for support."`
	Code      spectra.Code         `json:"code" doc:"The machine-readable error code."`
	Errors    []spectra.FieldError `json:"errors,omitempty" doc:"The invalid fields, if any."`

	// cause is the error behind a 5xx answer: logged once by finish, never
	// sent.
	cause error
	// headers go with the answer (Retry-After of a 429).
	headers http.Header
}

// GetHeaders makes huma send a Problem's headers (huma.HeadersError).
func (p *Problem) GetHeaders() http.Header { return p.headers }

// Error describes the problem for logs; it never includes the cause.
func (p *Problem) Error() string { return fmt.Sprintf("%d %s: %s", p.Status, p.Code, p.Detail) }

// GetStatus makes a Problem a huma.StatusError.
func (p *Problem) GetStatus() int { return p.Status }

// ContentType makes huma send a Problem as application/problem+json.
func (p *Problem) ContentType(string) string { return problemJSON }

// statusOf is the one table from error code to HTTP status.
var statusOf = map[spectra.Code]int{
	spectra.CodeInvalid:              http.StatusUnprocessableEntity,
	spectra.CodeUnauthenticated:      http.StatusUnauthorized,
	spectra.CodeForbidden:            http.StatusForbidden,
	spectra.CodeNotFound:             http.StatusNotFound,
	spectra.CodeConflict:             http.StatusConflict,
	spectra.CodePrecondition:         http.StatusPreconditionFailed,
	spectra.CodePreconditionRequired: http.StatusPreconditionRequired,
	spectra.CodeTooLarge:             http.StatusRequestEntityTooLarge,
	spectra.CodeRateLimited:          http.StatusTooManyRequests,
	spectra.CodeUnavailable:          http.StatusServiceUnavailable,
	spectra.CodeInternal:             http.StatusInternalServerError,
}

// codeOf answers the reverse question for errors that start as a status
// (huma's, the router's). Statuses the domain has no code for (405, 406,
// 415, …) get their status text in snake case, e.g. "method_not_allowed".
func codeOf(status int) spectra.Code {
	for code, s := range statusOf {
		if s == status {
			return code
		}
	}
	return spectra.Code(strings.ReplaceAll(strings.ToLower(http.StatusText(status)), " ", "_"))
}

func newProblem(status int, code spectra.Code, detail string) *Problem {
	return &Problem{Type: "about:blank", Title: http.StatusText(status), Status: status, Code: code, Detail: detail}
}

// problemFor turns any error a handler returns into the problem the client
// sees. Only a *spectra.Error's message and fields reach the client; any
// other error becomes "internal error" and is kept as the cause for the log.
func problemFor(err error) *Problem {
	var already *Problem
	if errors.As(err, &already) {
		return already
	}
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return tooLarge(mbe.Limit)
	}
	if errors.Is(err, context.Canceled) {
		return clientClosed()
	}
	var se *spectra.Error
	if !errors.As(err, &se) {
		return internalProblem(err)
	}
	status, ok := statusOf[se.Code]
	if !ok || status == http.StatusInternalServerError {
		return internalProblem(err)
	}
	p := newProblem(status, se.Code, se.Message)
	p.Errors = se.Fields
	if se.RetryAfter > 0 {
		p.headers = http.Header{"Retry-After": {strconv.Itoa(int(math.Ceil(se.RetryAfter.Seconds())))}}
	}
	if status >= 500 {
		p.cause = err
	}
	return p
}

// internalProblem hides err from the client; the log gets it.
func internalProblem(err error) *Problem {
	p := newProblem(http.StatusInternalServerError, spectra.CodeInternal, "internal error")
	p.cause = err
	return p
}

// statusClientClosed is nginx's 499: the client hung up before the answer.
// Nobody reads it; it keeps the access log honest, at info, without a 500
// or an error line.
const statusClientClosed = 499

func clientClosed() *Problem {
	p := newProblem(statusClientClosed, "client_closed", "the client closed the request")
	p.Title = "Client Closed Request"
	return p
}

func tooLarge(limit int64) *Problem {
	return newProblem(http.StatusRequestEntityTooLarge, spectra.CodeTooLarge,
		fmt.Sprintf("request body is larger than the limit of %d bytes", limit))
}

// humaProblem replaces huma.NewError, so that huma's own errors (validation,
// unreadable bodies) and a handler's errors come out as a Problem.
//
// Huma reports a handler's error that is not a huma.StatusError, and a body
// it could not read, as a 500 carrying the error: those go through
// problemFor, so a *spectra.Error keeps its code and an *http.MaxBytesError
// becomes 413. Huma's 400 (a body that is not JSON) becomes 422 invalid,
// keeping one status per code.
func humaProblem(status int, msg string, errs ...error) huma.StatusError {
	if status == http.StatusInternalServerError {
		cause := errors.New(msg)
		if joined := errors.Join(errs...); joined != nil {
			cause = fmt.Errorf("%s: %w", msg, joined)
		}
		return problemFor(cause)
	}
	if status == http.StatusBadRequest {
		status = http.StatusUnprocessableEntity
	}
	p := newProblem(status, codeOf(status), msg)
	for _, err := range errs {
		if err != nil {
			p.Errors = append(p.Errors, fieldError(err))
		}
	}
	return p
}

// fieldError names the field of one huma error detail. Huma locates body
// fields as "body.name"; clients know them as "name". Parameters keep their
// "path.", "query." or "header." prefix, which says where to look. The
// offending value is not echoed: it may be a password.
func fieldError(err error) spectra.FieldError {
	var d huma.ErrorDetailer
	if !errors.As(err, &d) {
		return spectra.FieldError{Message: err.Error()}
	}
	detail := d.ErrorDetail()
	loc := detail.Location
	// Huma puts a missing property at its parent object; a form wants to
	// mark the property itself.
	var missing string
	if _, err := fmt.Sscanf(detail.Message, validation.MsgExpectedRequiredProperty, &missing); err == nil {
		loc += "." + missing
	}
	return spectra.FieldError{Field: strings.TrimPrefix(loc, "body."), Message: detail.Message}
}

var installOnce sync.Once

// installHumaDefaults sets huma's package variables, once, before the first
// operation is registered (huma derives the documented error schema from
// NewError):
//   - the error constructors build a Problem;
//   - property names are matched exactly. Huma otherwise accepts "NAME"
//     for "name" without validating it, and encoding/json then lets that
//     unvalidated value win: {"name":"ok","NAME":"…"} would slip past
//     every rule on name.
func installHumaDefaults() {
	installOnce.Do(func() {
		huma.ValidateStrictCasing = true
		huma.NewError = humaProblem
		huma.NewErrorWithContext = func(_ huma.Context, status int, msg string, errs ...error) huma.StatusError {
			return humaProblem(status, msg, errs...)
		}
	})
}

// finish stamps p with what only the request knows and logs the cause of a
// server-side failure, once, with the request's coordinates. It copies p so
// that a problem value a handler reuses is never written to concurrently.
func finish(log *slog.Logger, r requestInfo, p *Problem) *Problem {
	q := *p
	q.Instance = r.path
	q.RequestID = r.id
	if q.cause != nil && q.Status >= 500 {
		level := slog.LevelWarn
		if q.Status == http.StatusInternalServerError {
			level = slog.LevelError
		}
		attrs := []slog.Attr{slog.String("request_id", r.id), slog.String("method", r.method),
			slog.String("path", r.path), slog.Int("status", q.Status), slog.String("error", q.cause.Error())}
		if p, ok := PrincipalFrom(r.ctx); ok {
			attrs = append(attrs, slog.String("org_id", p.OrgID.String()), slog.String("user_id", p.UserID.String()))
		}
		log.LogAttrs(r.ctx, level, "request failed", attrs...)
	}
	return &q
}

// problemTransformer finishes every error body huma writes, whichever huma
// code path built it. A *huma.ErrorModel still turns up when a huma.ErrorXxx
// value was made before installHumaDefaults ran (a package-level variable);
// it is converted, so that no error escapes the problem shape.
func problemTransformer(log *slog.Logger) huma.Transformer {
	return func(ctx huma.Context, _ string, v any) (any, error) {
		var p *Problem
		switch e := v.(type) {
		case *Problem:
			p = e
		case *huma.ErrorModel:
			p = fromErrorModel(e)
		default:
			return v, nil
		}
		u := ctx.URL()
		info := requestInfo{ctx: ctx.Context(), id: RequestID(ctx.Context()), method: ctx.Method(), path: u.Path}
		return finish(log, info, p), nil
	}
}

func fromErrorModel(m *huma.ErrorModel) *Problem {
	errs := make([]error, 0, len(m.Errors))
	for _, d := range m.Errors {
		if d != nil {
			errs = append(errs, d)
		}
	}
	return humaProblem(m.Status, m.Detail, errs...).(*Problem)
}

// writeProblem answers with p outside huma: unrouted requests and panics.
func writeProblem(log *slog.Logger, w http.ResponseWriter, r *http.Request, p *Problem) {
	p = finish(log, infoOf(r), p)
	h := w.Header()
	for k, vs := range p.headers {
		h[k] = vs
	}
	h.Set("Content-Type", problemJSON)
	h.Del("Content-Length")
	w.WriteHeader(p.Status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(p) // the client went away; nothing left to tell it
}

// invalid is a 422 naming one field.
func invalid(field, msg string) error { return spectra.FieldErr(spectra.CodeInvalid, field, msg) }
