package httpapi

import (
	"context"
	"errors"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/danielgtaylor/huma/v2"

	"github.com/spectra-lab/spectra/internal/spectra"
)

// PermPublic is the permission of a route anyone may call, logged in or
// not. It is spelled out rather than left as the zero value, so that a
// route whose permission was forgotten fails at start-up instead of
// opening up.
const PermPublic spectra.Permission = "public"

// Route is one operation of the API as data, for tests that walk every
// route for every role.
type Route struct {
	Method      string
	Path        string             // a ServeMux pattern path, e.g. /api/lims/samples/{id}
	Permission  spectra.Permission // e.g. spectra.PermSampleCreate, or PermPublic
	OperationID string
	Summary     string
	Status      int // the success status, when not 200
	// Upload raises the route's body limit to the upload limit
	// (SPECTRA_MAX_UPLOAD_BYTES) from the request limit.
	Upload bool

	input reflect.Type // the handler's input struct; nil for docRoutes
}

// docRoutes are not huma operations: the OpenAPI document in 3.1 and 3.0
// flavours (served by huma) and the browsable docs (docs.go).
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

	// Authentication.
	register(s, Route{Method: http.MethodGet, Path: "/auth/config", Permission: PermPublic,
		OperationID: "get-auth-config", Summary: "How one may sign in: password, single sign-on"}, s.authConfig)
	register(s, Route{Method: http.MethodPost, Path: "/auth/login", Permission: PermPublic,
		OperationID: "login", Summary: "Log in with a password; starts a session"}, s.login)
	register(s, Route{Method: http.MethodPost, Path: "/auth/refresh", Permission: PermPublic,
		OperationID: "refresh", Summary: "Trade a refresh token (body or cookie) for new tokens"}, s.refresh)
	register(s, Route{Method: http.MethodPost, Path: "/auth/logout", Permission: spectra.PermProfileRead,
		OperationID: "logout", Summary: "End the session: refresh family revoked, access token denied", Status: http.StatusNoContent}, s.logout)
	register(s, Route{Method: http.MethodGet, Path: "/auth/me", Permission: spectra.PermProfileRead,
		OperationID: "get-me", Summary: "The caller: user, organization, role, permissions, memberships"}, s.me)
	register(s, Route{Method: http.MethodGet, Path: "/auth/oidc/login", Permission: PermPublic,
		OperationID: "oidc-login", Summary: "Single sign-on: redirect to the identity provider (authorization code + PKCE)", Status: http.StatusFound}, s.oidcLogin)
	register(s, Route{Method: http.MethodGet, Path: "/auth/oidc/callback", Permission: PermPublic,
		OperationID: "oidc-callback", Summary: "Single sign-on: the provider's redirect back; starts a session", Status: http.StatusFound}, s.oidcCallback)
	register(s, Route{Method: http.MethodGet, Path: "/auth/permissions", Permission: spectra.PermProfileRead,
		OperationID: "get-permissions", Summary: "The permission matrix: each action and the lowest role that may take it"}, s.permissions)

	register(s, Route{Method: http.MethodPost, Path: "/auth/password", Permission: spectra.PermProfileRead,
		OperationID: "change-password", Summary: "Change your own password; ends your other sessions everywhere", Status: http.StatusNoContent}, s.changePassword)
	register(s, Route{Method: http.MethodPost, Path: "/auth/password/forgot", Permission: PermPublic,
		OperationID: "forgot-password", Summary: "Ask for a one-time password reset link by e-mail; the same answer whether the address has an account or not", Status: http.StatusAccepted}, s.forgotPassword)
	register(s, Route{Method: http.MethodPost, Path: "/auth/password/reset", Permission: PermPublic,
		OperationID: "reset-forgotten-password", Summary: "Set a new password with a reset link's token; ends the account's sessions", Status: http.StatusNoContent}, s.resetPassword)
	register(s, Route{Method: http.MethodGet, Path: "/auth/invitations", Permission: spectra.PermProfileRead,
		OperationID: "list-my-invitations", Summary: "Open invitations addressed to you, from any organization"}, s.myInvitations)
	register(s, Route{Method: http.MethodPost, Path: "/auth/invitations/{id}/accept", Permission: spectra.PermProfileRead,
		OperationID: "accept-my-invitation", Summary: "Accept an invitation addressed to you: become a member", Status: http.StatusNoContent}, s.acceptMyInvitation)
	register(s, Route{Method: http.MethodPost, Path: "/auth/invitations/accept", Permission: PermPublic,
		OperationID: "accept-invitation", Summary: "Accept an invitation with its token (your account's password, or a new account); starts a session"}, s.acceptInvitation)

	register(s, Route{Method: http.MethodPost, Path: "/auth/switch-org", Permission: spectra.PermProfileRead,
		OperationID: "switch-org", Summary: "Start a session in another organization the user belongs to"}, s.switchOrg)

	// The lab: each resource registers its routes in its own routes_*.go.
	s.addSampleRoutes()
	s.addMethodRoutes()
	s.addELNRoutes()
	s.addAnalysisRoutes()
	s.addFileRoutes()
	s.addInboxRoutes()

	// Administration (admin).
	register(s, Route{Method: http.MethodGet, Path: "/api/admin/users", Permission: spectra.PermUserManage,
		OperationID: "list-users", Summary: "List the organization's members"}, s.listMembers)
	register(s, Route{Method: http.MethodPost, Path: "/api/admin/invitations", Permission: spectra.PermUserManage,
		OperationID: "invite", Summary: "Invite an e-mail address to become a member (the person accepts)", Status: http.StatusCreated}, s.invite)
	register(s, Route{Method: http.MethodGet, Path: "/api/admin/invitations", Permission: spectra.PermUserManage,
		OperationID: "list-invitations", Summary: "The organization's invitations, newest first"}, s.listInvitations)
	register(s, Route{Method: http.MethodDelete, Path: "/api/admin/invitations/{id}", Permission: spectra.PermUserManage,
		OperationID: "revoke-invitation", Summary: "Withdraw an open invitation", Status: http.StatusNoContent}, s.revokeInvitation)
	register(s, Route{Method: http.MethodGet, Path: "/api/admin/users/{id}", Permission: spectra.PermUserManage,
		OperationID: "get-user", Summary: "One member"}, s.getMember)
	register(s, Route{Method: http.MethodPatch, Path: "/api/admin/users/{id}", Permission: spectra.PermUserManage,
		OperationID: "update-user", Summary: "Change a member's role, deactivate or reactivate them"}, s.updateMember)
	register(s, Route{Method: http.MethodDelete, Path: "/api/admin/users/{id}", Permission: spectra.PermUserManage,
		OperationID: "remove-user", Summary: "Remove a member (soft: restorable)", Status: http.StatusNoContent}, s.removeMember)
	register(s, Route{Method: http.MethodPost, Path: "/api/admin/users/{id}/password", Permission: spectra.PermUserManage,
		OperationID: "reset-password", Summary: "Set the password of an account this organization alone has and made; revokes its sessions and keys", Status: http.StatusNoContent}, s.setMemberPassword)
	register(s, Route{Method: http.MethodGet, Path: "/api/admin/organization", Permission: spectra.PermOrgSettings,
		OperationID: "get-settings", Summary: "The organization's settings"}, s.getSettings)
	register(s, Route{Method: http.MethodPut, Path: "/api/admin/organization", Permission: spectra.PermOrgSettings,
		OperationID: "update-settings", Summary: "Change the organization's settings"}, s.updateSettings)
	register(s, Route{Method: http.MethodGet, Path: "/api/admin/audit", Permission: spectra.PermAuditRead,
		OperationID: "list-audit", Summary: "The audit log, newest first, filtered"}, s.listAudit)
	register(s, Route{Method: http.MethodGet, Path: "/api/admin/jobs", Permission: spectra.PermJobRead,
		OperationID: "list-jobs", Summary: "The background jobs of the organization and the global housekeeping jobs, newest first"}, s.listJobs)
	register(s, Route{Method: http.MethodPost, Path: "/api/admin/webhooks", Permission: spectra.PermOrgSettings,
		OperationID: "create-webhook", Summary: "Add a webhook (its signing secret is shown once)", Status: http.StatusCreated}, s.createWebhook)
	register(s, Route{Method: http.MethodGet, Path: "/api/admin/webhooks", Permission: spectra.PermOrgSettings,
		OperationID: "list-webhooks", Summary: "The organization's webhooks, newest first (never their secrets)"}, s.listWebhooks)
	register(s, Route{Method: http.MethodDelete, Path: "/api/admin/webhooks/{id}", Permission: spectra.PermOrgSettings,
		OperationID: "delete-webhook", Summary: "Remove a webhook and its delivery log", Status: http.StatusNoContent}, s.deleteWebhook)
	register(s, Route{Method: http.MethodGet, Path: "/api/admin/webhooks/{id}/deliveries", Permission: spectra.PermOrgSettings,
		OperationID: "list-webhook-deliveries", Summary: "A webhook's delivery log, newest first, with each delivery's attempts and last status code"}, s.listWebhookDeliveries)
	register(s, Route{Method: http.MethodPost, Path: "/api/admin/webhooks/{id}/deliveries/{delivery_id}/redeliver", Permission: spectra.PermOrgSettings,
		OperationID: "redeliver-webhook", Summary: "Send a delivery again (the same event, a new timestamp and signature)"}, s.redeliverWebhook)
	register(s, Route{Method: http.MethodGet, Path: "/api/admin/deleted", Permission: spectra.PermDeletedManage,
		OperationID: "list-deleted", Summary: "Soft-deleted rows of a table"}, s.listDeleted)
	register(s, Route{Method: http.MethodPost, Path: "/api/admin/deleted/{table}/{id}/restore", Permission: spectra.PermDeletedManage,
		OperationID: "restore-deleted", Summary: "Restore a soft-deleted row", Status: http.StatusNoContent}, s.restore)
	register(s, Route{Method: http.MethodPost, Path: "/api/admin/api-keys", Permission: spectra.PermAPIKeyManage,
		OperationID: "create-api-key", Summary: "Create a service account and its API key (shown once)", Status: http.StatusCreated}, s.createAPIKey)
	register(s, Route{Method: http.MethodGet, Path: "/api/admin/api-keys", Permission: spectra.PermAPIKeyManage,
		OperationID: "list-api-keys", Summary: "List the organization's API keys (never the secrets)"}, s.listAPIKeys)
	register(s, Route{Method: http.MethodDelete, Path: "/api/admin/api-keys/{id}", Permission: spectra.PermAPIKeyManage,
		OperationID: "revoke-api-key", Summary: "Revoke an API key", Status: http.StatusNoContent}, s.revokeAPIKey)
}

// Routes lists every route NewServer serves, in registration order.
func Routes() []Route { return slices.Clone(newServer(Deps{}).routes) }

// register adds one operation. Taking a Route is what makes every route
// state its permission; a route with none panics at start-up.
// tagOf groups an operation in the documentation by the part of the
// product its path belongs to: /api/lims/samples → "lims: samples".
func tagOf(path string) string {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	switch {
	case len(parts) >= 3 && parts[0] == "api":
		return parts[1] + ": " + parts[2]
	case len(parts) >= 1 && parts[0] == "auth":
		return "auth"
	case len(parts) >= 2 && parts[0] == "api" && parts[1] == "inbox":
		return "inbox"
	default:
		return "service"
	}
}

func register[I, O any](s *server, r Route, h func(context.Context, *I) (*O, error)) {
	if r.Permission == "" {
		panic("httpapi: route " + r.Method + " " + r.Path + " states no permission")
	}
	if _, ok := spectra.Matrix[r.Permission]; !ok && r.Permission != PermPublic {
		panic("httpapi: route " + r.Method + " " + r.Path + " names permission " + string(r.Permission) + ", which the matrix lacks")
	}
	op := huma.Operation{
		OperationID: r.OperationID,
		Method:      r.Method,
		Path:        r.Path,
		Summary:     r.Summary,
		// limitBody is the one body limit; huma's own would refuse a body
		// of exactly the limit and answer differently.
		MaxBodyBytes:  -1,
		DefaultStatus: r.Status,
		Extensions:    map[string]any{"x-permission": r.Permission},
		Tags:          []string{tagOf(r.Path)},
	}
	if r.Permission != PermPublic {
		op.Middlewares = huma.Middlewares{s.guard(r.Permission)}
		op.Security = []map[string][]string{{"bearer": {}}}
	}
	huma.Register(s.api, op, func(ctx context.Context, in *I) (*O, error) {
		if err := checkInput(in); err != nil {
			return nil, problemFor(err) // values at the edge (values.go)
		}
		out, err := h(ctx, in)
		var statusErr huma.StatusError
		if err != nil && !errors.As(err, &statusErr) {
			// A Problem carries the error's headers (Retry-After) to huma.
			return nil, problemFor(err)
		}
		return out, err
	})
	if isUpdate(r) {
		documentPreconditions(s.api, r)
	}
	if r.Upload {
		s.uploads.Handle(r.Method+" "+r.Path, http.NotFoundHandler())
	}
	r.input = reflect.TypeFor[I]()
	s.routes = append(s.routes, r)
}

// isUpdate reports whether r changes a versioned row in place: every PUT
// and PATCH does, and each handler calls updateVersion first.
func isUpdate(r Route) bool { return r.Method == http.MethodPut || r.Method == http.MethodPatch }

// documentPreconditions adds an update's 412 and 428 to the OpenAPI
// document (huma documents the other errors as "default").
func documentPreconditions(api huma.API, r Route) {
	oapi := api.OpenAPI()
	item := oapi.Paths[r.Path]
	op := item.Put
	if r.Method == http.MethodPatch {
		op = item.Patch
	}
	problem := &huma.MediaType{Schema: oapi.Components.Schemas.Schema(reflect.TypeFor[Problem](), true, "")}
	if slices.ContainsFunc(op.Parameters, func(p *huma.Param) bool { return p.In == "header" && p.Name == "If-Match" }) {
		op.Responses[strconv.Itoa(http.StatusPreconditionFailed)] = &huma.Response{
			Description: "Precondition Failed: the If-Match ETag is not the current version (reload and retry).",
			Content:     map[string]*huma.MediaType{problemJSON: problem}}
	}
	op.Responses[strconv.Itoa(http.StatusPreconditionRequired)] = &huma.Response{
		Description: "Precondition Required: the update names no version; send If-Match with the ETag read (or version in the body).",
		Content:     map[string]*huma.MediaType{problemJSON: problem}}
}
