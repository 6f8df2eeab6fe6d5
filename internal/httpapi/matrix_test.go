package httpapi

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/spectra-lab/spectra/internal/spectra"
)

// demoUsers are the seeded logins of demo-lab, by role.
var demoUsers = map[spectra.Role][2]string{
	spectra.RoleAdmin: {"admin@demo.lab", "admin123"}, spectra.RolePI: {"pi@demo.lab", "pi123"},
	spectra.RoleEngineer: {"engineer@demo.lab", "eng123"}, spectra.RoleTechnician: {"tech@demo.lab", "tech123"},
	spectra.RoleViewer: {"viewer@demo.lab", "view123"},
}

// guarded is every route of the server's own table that needs a permission.
func guarded(t *testing.T) []Route {
	t.Helper()
	var out []Route
	for _, r := range Routes() {
		if r.Permission != PermPublic {
			out = append(out, r)
		}
	}
	if len(out) < 10 {
		t.Fatalf("only %d guarded routes", len(out))
	}
	return out
}

// fillPath puts ids into a route's path parameters.
func fillPath(path string, ids map[string]string) string {
	for k, v := range ids {
		path = strings.ReplaceAll(path, "{"+k+"}", v)
	}
	return path
}

// TestRouteRoleMatrix walks the server's own route table (so routes added
// later are covered without editing this test): for each guarded route and
// each role, a role the matrix allows gets past the guard (2xx, or a 4xx
// about the request itself), a role below the bar gets 403 naming the
// permission; nobody gets a 5xx.
func TestRouteRoleMatrix(t *testing.T) {
	e := newAPIEnv(t)
	ids := map[string]string{"id": uuid.NewString(), "table": "samples"}
	checked := 0
	defer func() { t.Logf("%d route × role requests", checked) }()
	for _, r := range guarded(t) {
		for _, role := range spectra.Roles {
			checked++
			t.Run(fmt.Sprintf("%s %s as %s", r.Method, r.Path, role), func(t *testing.T) {
				u := demoUsers[role]
				tok := e.token(u[0], u[1]) // a fresh session per call: logout ends one
				var body any
				if r.Method != http.MethodGet && r.Method != http.MethodDelete {
					body = map[string]any{}
				}
				res := e.call(r.Method, fillPath(r.Path, ids), tok, body)
				allowed := role.Can(r.Permission)
				switch {
				case res.Status >= 500:
					t.Fatalf("%d %s", res.Status, res.Raw)
				case allowed && (res.Status == http.StatusUnauthorized || res.Status == http.StatusForbidden):
					t.Fatalf("allowed (%s ≥ %s) but %d %s", role, spectra.Matrix[r.Permission], res.Status, res.Raw)
				case !allowed && (res.Status != http.StatusForbidden || !strings.Contains(res.str("detail"), string(r.Permission))):
					t.Fatalf("below the bar but %d %s", res.Status, res.Raw)
				}
			})
		}
	}
}

// crossOrgCase says how to call one route with demo-lab's ids: the ids
// and a body that would be valid, so that only the foreign id can fail.
type crossOrgCase struct {
	ids     map[string]string
	body    any
	headers []string // e.g. If-Match, which every update needs
}

// crossOrgCases are, per resource, how to call its routes that take an id
// with demo-lab's ids: each returns "METHOD path" → case. Every test file
// of a resource adds its own in an init function.
var crossOrgCases []func(e *apiEnv, demoAdmin string) map[string]crossOrgCase

// TestCrossOrganization calls every route that takes an id as test-org's
// admin with demo-lab's ids: each answers 404 (never 403), and nothing in
// the database changes. A route with an id that no crossOrgCases entry
// knows fails the test: add how to find a demo-lab id for it.
func TestCrossOrganization(t *testing.T) {
	e := newAPIEnv(t)
	demoAdmin := e.token("admin@demo.lab", "admin123")
	cases := map[string]crossOrgCase{}
	for _, f := range crossOrgCases {
		for k, c := range f(e, demoAdmin) {
			cases[k] = c
		}
	}
	// test-org's people of every role, and an admin API key of test-org's.
	callers := map[string]spectra.Role{}
	for role, u := range demoUsers {
		callers[e.token(strings.Replace(u[0], "demo.lab", "test.org", 1), u[1])] = role
	}
	key := e.call(http.MethodPost, "/api/admin/api-keys", e.token("admin@test.org", "admin123"),
		map[string]any{"name": "test-org key", "role": "admin", "expires_at": time.Now().Add(time.Hour).Format(time.RFC3339)})
	callers[key.str("key")] = spectra.RoleAdmin
	before := e.snapshot()
	checked := 0
	defer func() { t.Logf("%d cross-organization requests", checked) }()
	for _, r := range Routes() {
		if !strings.Contains(r.Path, "{") {
			continue
		}
		key := r.Method + " " + r.Path
		c, ok := cases[key]
		if !ok {
			t.Errorf("%s takes an id, but no crossOrgCases entry knows a demo-lab id for it", key)
			continue
		}
		for tok, role := range callers {
			res := e.call(r.Method, fillPath(r.Path, c.ids), tok, c.body, c.headers...)
			checked++
			want := http.StatusNotFound
			if !role.Can(r.Permission) {
				want = http.StatusForbidden // the guard answers before any lookup
			}
			if res.Status != want {
				t.Errorf("%s with demo-lab's id as test-org's %s: %d, want %d %s", key, role, res.Status, want, res.Raw)
			}
		}
	}
	if after := e.snapshot(); after != before {
		t.Fatalf("the database changed:\nbefore %s\nafter  %s", before, after)
	}
}

// snapshot summarizes every table's row count and the audit log.
func (e *apiEnv) snapshot() string {
	e.t.Helper()
	rows, err := e.db.Pool().Query(context.Background(), `SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = 'public' AND c.relkind = 'r' AND c.relname NOT LIKE 'goose%' ORDER BY 1`)
	if err != nil {
		e.t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			e.t.Fatal(err)
		}
		tables = append(tables, name)
	}
	rows.Close()
	var b strings.Builder
	for _, table := range tables {
		fmt.Fprintf(&b, "%s=%d ", table, e.count(`SELECT count(*) FROM `+table))
	}
	fmt.Fprintf(&b, "changes=%d", e.count(`SELECT count(*) FROM audit_log WHERE action IN ('INSERT','UPDATE','DELETE')`))
	fmt.Fprintf(&b, " membership-versions=%d", e.count(`SELECT sum(version) FROM memberships`))
	return b.String()
}

// TestUpdatesNeedAVersion walks every PUT and PATCH of the server's own
// route table (so an update route added later is held to the rule without
// editing this test): called by the row's own organization with a body
// that is otherwise valid (its crossOrgCases entry) but without a version
// or If-Match, each answers 428 naming both, and changes nothing; with a
// stale version it answers 412 (If-Match) or, where the route takes no
// If-Match, 409 (the body's version).
func TestUpdatesNeedAVersion(t *testing.T) {
	e := newAPIEnv(t)
	demoAdmin := e.token("admin@demo.lab", "admin123")
	cases := map[string]crossOrgCase{}
	for _, f := range crossOrgCases {
		for k, c := range f(e, demoAdmin) {
			cases[k] = c
		}
	}
	// Updates without an id in the path.
	settings := e.call(http.MethodGet, "/api/admin/organization", demoAdmin, nil)
	cases["PUT /api/admin/organization"] = crossOrgCase{body: map[string]any{"name": settings.Body["name"],
		"calibration_warning_days": settings.Body["calibration_warning_days"], "access_token_ttl_seconds": settings.Body["access_token_ttl_seconds"],
		"refresh_token_ttl_seconds": settings.Body["refresh_token_ttl_seconds"], "version": settings.Body["version"]}}

	updates := 0
	for _, r := range Routes() {
		if !isUpdate(r) {
			continue
		}
		updates++
		key := r.Method + " " + r.Path
		t.Run(key, func(t *testing.T) {
			c, ok := cases[key]
			if !ok {
				t.Fatalf("no crossOrgCases entry gives an id and a valid body for this update: add one")
			}
			body, ok := c.body.(map[string]any)
			if !ok {
				t.Fatalf("the body of %s is not a JSON object", key)
			}
			unversioned := map[string]any{}
			for k, v := range body {
				if k != "version" {
					unversioned[k] = v
				}
			}
			path := fillPath(r.Path, c.ids)
			before := e.snapshot()
			res := e.call(r.Method, path, demoAdmin, unversioned)
			if res.Status != http.StatusPreconditionRequired || res.str("code") != string(spectra.CodePreconditionRequired) ||
				!strings.Contains(string(res.Raw), `"header.If-Match"`) || !strings.Contains(string(res.Raw), `"version"`) {
				t.Fatalf("without a version: %d %s", res.Status, res.Raw)
			}
			if after := e.snapshot(); after != before {
				t.Fatalf("an update without a version changed the database:\nbefore %s\nafter  %s", before, after)
			}
			// The same body with a stale version gets past the 428, so
			// the 428 was about the version and nothing else.
			if takesIfMatch(e, r) {
				res = e.call(r.Method, path, demoAdmin, unversioned, "If-Match", `"999999"`)
				if res.Status != http.StatusPreconditionFailed {
					t.Fatalf("with a stale If-Match: %d %s", res.Status, res.Raw)
				}
			} else {
				unversioned["version"] = 999999
				if res = e.call(r.Method, path, demoAdmin, unversioned); res.Status != http.StatusConflict {
					t.Fatalf("with a stale version: %d %s", res.Status, res.Raw)
				}
			}
		})
	}
	if updates < 10 {
		t.Fatalf("only %d update routes", updates)
	}
}

// takesIfMatch reports whether route r's operation documents an If-Match
// header.
func takesIfMatch(e *apiEnv, r Route) bool {
	item := e.api.OpenAPI().Paths[r.Path]
	op := item.Put
	if r.Method == http.MethodPatch {
		op = item.Patch
	}
	for _, p := range op.Parameters {
		if p.In == "header" && p.Name == "If-Match" {
			return true
		}
	}
	return false
}
