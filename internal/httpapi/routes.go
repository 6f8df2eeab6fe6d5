package httpapi

import (
	"context"
	"net/http"
	"slices"

	"github.com/danielgtaylor/huma/v2"
)

// PermPublic is the permission of a route anyone may call, logged in or
// not. It is spelled out rather than left as the zero value, so that a
// route whose permission was forgotten fails at start-up instead of
// opening up.
const PermPublic = "public"

// Route is one operation of the API as data, for tests that walk every
// route for every role.
type Route struct {
	Method      string
	Path        string // a ServeMux pattern path, e.g. /api/lims/samples/{id}
	Permission  string // e.g. "sample.create", or PermPublic
	OperationID string
	Summary     string
}

// docRoutes are served by huma itself: the OpenAPI document in 3.1 and
// 3.0 flavours, and the browsable docs.
var docRoutes = []Route{
	{Method: http.MethodGet, Path: "/openapi.json", Permission: PermPublic, Summary: "The OpenAPI 3.1 document (JSON)"},
	{Method: http.MethodGet, Path: "/openapi.yaml", Permission: PermPublic, Summary: "The OpenAPI 3.1 document (YAML)"},
	{Method: http.MethodGet, Path: "/openapi-3.0.json", Permission: PermPublic, Summary: "The OpenAPI document for 3.0 tools (JSON)"},
	{Method: http.MethodGet, Path: "/openapi-3.0.yaml", Permission: PermPublic, Summary: "The OpenAPI document for 3.0 tools (YAML)"},
	{Method: http.MethodGet, Path: "/docs", Permission: PermPublic, Summary: "Browsable API documentation"},
}

// addRoutes registers the whole API, grouped by the permission each route
// needs.
func (s *server) addRoutes() {
	// Public: probes for the load balancer and the orchestrator.
	register(s, Route{Method: http.MethodGet, Path: "/healthz", Permission: PermPublic,
		OperationID: "get-healthz", Summary: "Liveness: the process answers"}, s.healthz)
	register(s, Route{Method: http.MethodGet, Path: "/readyz", Permission: PermPublic,
		OperationID: "get-readyz", Summary: "Readiness: the database answers"}, s.readyz)
}

// Routes lists every route NewServer serves, in registration order.
func Routes() []Route { return slices.Clone(newServer(Deps{}).routes) }

// register adds one operation. Taking a Route is what makes every route
// state its permission; a route with none panics at start-up.
func register[I, O any](s *server, r Route, h func(context.Context, *I) (*O, error)) {
	if r.Permission == "" {
		panic("httpapi: route " + r.Method + " " + r.Path + " states no permission")
	}
	op := huma.Operation{
		OperationID: r.OperationID,
		Method:      r.Method,
		Path:        r.Path,
		Summary:     r.Summary,
		// limitBody is the one body limit; huma's own would refuse a body
		// of exactly the limit and answer differently.
		MaxBodyBytes: -1,
		Extensions:   map[string]any{"x-permission": r.Permission},
	}
	if r.Permission != PermPublic {
		op.Middlewares = huma.Middlewares{s.failClosed}
	}
	huma.Register(s.api, op, h)
	s.routes = append(s.routes, r)
}

// failClosed guards routes that need a permission. No request carries a
// principal yet, so none can hold a permission: such a route answers 401
// rather than serving anyone.
func (s *server) failClosed(ctx huma.Context, _ func(huma.Context)) {
	_ = huma.WriteErr(s.api, ctx, http.StatusUnauthorized, "authentication required")
}
