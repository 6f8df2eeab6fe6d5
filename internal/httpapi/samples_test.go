package httpapi

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/google/uuid"
)

func init() {
	crossOrgCases = append(crossOrgCases, func(e *apiEnv, _ string) map[string]crossOrgCase {
		project := map[string]string{"id": e.limsID(`SELECT id FROM projects WHERE code = 'PRJ-001' AND organization_id = $1`)}
		sample := map[string]string{"id": e.limsID(`SELECT id FROM samples WHERE barcode = 'DL-S-0001' AND organization_id = $1`)}
		device := map[string]string{"id": e.limsID(`SELECT d.id FROM devices d JOIN wafers w ON w.id = d.wafer_id JOIN samples s ON s.id = w.sample_id
			WHERE s.barcode = 'DL-S-0001' AND d.name = 'D1' AND d.organization_id = $1`)}
		return map[string]crossOrgCase{
			"GET /api/lims/projects/{id}":        {ids: project},
			"PUT /api/lims/projects/{id}":        {ids: project, body: map[string]any{"code": "PRJ-X", "name": "Taken over", "status": "archived", "version": 1}},
			"DELETE /api/lims/projects/{id}":     {ids: project},
			"GET /api/lims/samples/{id}":         {ids: sample},
			"PUT /api/lims/samples/{id}":         {ids: sample, body: map[string]any{"barcode": "X-1", "name": "Taken over", "version": 1}},
			"PATCH /api/lims/samples/{id}":       {ids: sample, body: map[string]any{"location": "Elsewhere"}, headers: []string{"If-Match", `"1"`}},
			"DELETE /api/lims/samples/{id}":      {ids: sample},
			"GET /api/lims/samples/{id}/wafers":  {ids: sample},
			"POST /api/lims/samples/{id}/wafers": {ids: sample, body: map[string]any{"label": "W9"}},
			"GET /api/lims/samples/{id}/custody": {ids: sample},
			"GET /api/lims/devices/{id}":         {ids: device},
			"PUT /api/lims/devices/{id}":         {ids: device, body: map[string]any{"name": "D9", "version": 1}},
		}
	})
}

// limsID is the id a query finds in demo-lab ($1 is demo-lab's id).
func (e *apiEnv) limsID(query string) string {
	e.t.Helper()
	var id uuid.UUID
	if err := e.db.Pool().QueryRow(context.Background(), query, e.orgID("demo-lab")).Scan(&id); err != nil {
		e.t.Fatalf("%s: %v", query, err)
	}
	return id.String()
}

// limsCase is one request of a scenario table and what it must answer.
type limsCase struct {
	name, method, path, token string
	body                      any
	headers                   []string
	status                    int
	field                     string // a 422/409 must name this field
	check                     func(t *testing.T, r response)
}

// runLims plays a scenario table in order, each row a subtest named by
// its name (go test -run 'TestWafersAndDevices/add_a_wafer'); later rows
// may rely on earlier ones, so the table stops at the first failure. It is
// pocketbase's ApiScenario: request, caller, expected status, field and
// content.
func (e *apiEnv) runLims(cases []limsCase) {
	e.t.Helper()
	parent, parentTB := e.t, e.tb
	defer func() { e.t, e.tb = parent, parentTB }()
	for _, c := range cases {
		ok := parent.Run(c.name, func(t *testing.T) {
			e.t, e.tb = t, t // the helpers report to the row
			r := e.call(c.method, c.path, c.token, c.body, c.headers...)
			if r.Status != c.status {
				t.Fatalf("%s %s: %d, want %d: %s", c.method, c.path, r.Status, c.status, r.Raw)
			}
			if c.field != "" && !limsNamesField(r, c.field) {
				t.Fatalf("the problem does not name %q: %s", c.field, r.Raw)
			}
			if r.Status >= 400 && r.Header.Get("Content-Type") != problemJSON {
				t.Fatalf("error answered as %q", r.Header.Get("Content-Type"))
			}
			if c.check != nil {
				c.check(t, r)
			}
		})
		if !ok {
			parent.FailNow()
		}
	}
}

// limsNamesField reports whether a problem's errors name field.
func limsNamesField(r response, field string) bool {
	errs, _ := r.Body["errors"].([]any)
	for _, x := range errs {
		if m, _ := x.(map[string]any); m["field"] == field {
			return true
		}
	}
	return false
}

// limsItems is a list answer's items.
func limsItems(t *testing.T, r response) []map[string]any {
	t.Helper()
	raw, ok := r.Body["items"].([]any)
	if !ok {
		t.Fatalf("not a list: %s", r.Raw)
	}
	out := make([]map[string]any, len(raw))
	for i, x := range raw {
		out[i] = x.(map[string]any)
	}
	return out
}

// limsTokens logs in demo-lab's users once per test.
type limsTokens struct{ admin, pi, eng, tech, viewer, otherAdmin string }

func (e *apiEnv) limsTokens() limsTokens {
	e.t.Helper()
	return limsTokens{admin: e.token("admin@demo.lab", "admin123"), pi: e.token("pi@demo.lab", "pi123"),
		eng: e.token("engineer@demo.lab", "eng123"), tech: e.token("tech@demo.lab", "tech123"),
		viewer: e.token("viewer@demo.lab", "view123"), otherAdmin: e.token("admin@test.org", "admin123")}
}

func TestProjects(t *testing.T) {
	e := newAPIEnv(t)
	u := e.limsTokens()
	const base = "/api/lims/projects"
	var id, tag string
	e.runLims([]limsCase{
		{name: "create", method: http.MethodPost, path: base, token: u.pi, status: http.StatusCreated,
			body: map[string]any{"code": "PRJ-002", "name": "Perovskite stability", "description": "Damp heat."},
			check: func(t *testing.T, r response) {
				id, tag = r.str("id"), r.Header.Get("ETag")
				if r.str("status") != "active" || r.Body["version"] != float64(1) || tag != `"1"` || r.str("created_by") != e.userID("pi@demo.lab") {
					t.Fatalf("created %s (ETag %s)", r.Raw, tag)
				}
			}},
		{name: "duplicate code", method: http.MethodPost, path: base, token: u.pi, status: http.StatusConflict, field: "code",
			body: map[string]any{"code": "PRJ-001", "name": "Again"}},
		{name: "an engineer may not create", method: http.MethodPost, path: base, token: u.eng, status: http.StatusForbidden,
			body: map[string]any{"code": "PRJ-003", "name": "X"}},
		{name: "missing name", method: http.MethodPost, path: base, token: u.pi, status: http.StatusUnprocessableEntity, field: "name",
			body: map[string]any{"code": "PRJ-003"}},
		{name: "padded code", method: http.MethodPost, path: base, token: u.pi, status: http.StatusUnprocessableEntity, field: "code",
			body: map[string]any{"code": " PRJ-003", "name": "X"}},
		{name: "unknown status", method: http.MethodPost, path: base, token: u.pi, status: http.StatusUnprocessableEntity, field: "status",
			body: map[string]any{"code": "PRJ-003", "name": "X", "status": "paused"}},
		{name: "NUL in the name", method: http.MethodPost, path: base, token: u.pi, status: http.StatusUnprocessableEntity, field: "name",
			body: map[string]any{"code": "PRJ-003", "name": "a\x00b"}},
		{name: "organization_id is not the client's to say", method: http.MethodPost, path: base, token: u.pi, status: http.StatusUnprocessableEntity,
			field: "organization_id", body: map[string]any{"code": "PRJ-003", "name": "X", "organization_id": e.orgID("test-org").String()}},
		{name: "a viewer reads the list, newest first", method: http.MethodGet, path: base, token: u.viewer, status: http.StatusOK,
			check: func(t *testing.T, r response) {
				if it := limsItems(t, r); len(it) != 2 || it[0]["code"] != "PRJ-002" || it[1]["code"] != "PRJ-001" {
					t.Fatalf("list: %s", r.Raw)
				}
			}},
		{name: "search", method: http.MethodGet, path: base + "?q=perov", token: u.viewer, status: http.StatusOK,
			check: func(t *testing.T, r response) {
				if it := limsItems(t, r); len(it) != 1 || it[0]["code"] != "PRJ-002" {
					t.Fatalf("q: %s", r.Raw)
				}
			}},
		{name: "test-org does not see it", method: http.MethodGet, path: base + "?q=perov", token: u.otherAdmin, status: http.StatusOK,
			check: func(t *testing.T, r response) {
				if it := limsItems(t, r); len(it) != 0 {
					t.Fatalf("foreign list: %s", r.Raw)
				}
			}},
	})
	path := base + "/" + id
	e.runLims([]limsCase{
		{name: "an update names its version", method: http.MethodPut, path: path, token: u.pi, status: http.StatusPreconditionRequired, field: "version",
			body: map[string]any{"code": "PRJ-002", "name": "Renamed"}},
		{name: "update with If-Match", method: http.MethodPut, path: path, token: u.pi, status: http.StatusOK, headers: []string{"If-Match", tag},
			body: map[string]any{"code": "PRJ-002", "name": "Renamed", "status": "archived"},
			check: func(t *testing.T, r response) {
				if r.str("name") != "Renamed" || r.str("status") != "archived" || r.Header.Get("ETag") != `"2"` {
					t.Fatalf("updated: %s", r.Raw)
				}
			}},
		{name: "an edit without a status keeps it", method: http.MethodPut, path: path, token: u.pi, status: http.StatusOK,
			body: map[string]any{"code": "PRJ-002", "name": "Renamed", "description": "Damp heat, 85 °C.", "version": 2},
			check: func(t *testing.T, r response) {
				if r.str("status") != "archived" || r.str("description") != "Damp heat, 85 °C." {
					t.Fatalf("updated: %s", r.Raw)
				}
			}},
		{name: "stale If-Match", method: http.MethodPut, path: path, token: u.pi, status: http.StatusPreconditionFailed, headers: []string{"If-Match", tag},
			body: map[string]any{"code": "PRJ-002", "name": "Lost"}},
		{name: "stale version", method: http.MethodPut, path: path, token: u.pi, status: http.StatusConflict, field: "version",
			body: map[string]any{"code": "PRJ-002", "name": "Lost", "version": 1}},
		{name: "filter by status", method: http.MethodGet, path: base + "?status=archived", token: u.viewer, status: http.StatusOK,
			check: func(t *testing.T, r response) {
				if it := limsItems(t, r); len(it) != 1 || it[0]["name"] != "Renamed" {
					t.Fatalf("status filter: %s", r.Raw)
				}
			}},
		{name: "a project with samples is not deleted", method: http.MethodDelete, path: base + "/" + e.limsID(`SELECT id FROM projects WHERE code = 'PRJ-001' AND organization_id = $1`),
			token: u.pi, status: http.StatusConflict},
		{name: "delete", method: http.MethodDelete, path: path, token: u.pi, status: http.StatusNoContent},
		{name: "a deleted project is gone", method: http.MethodGet, path: path, token: u.pi, status: http.StatusNotFound},
		{name: "its code stays taken", method: http.MethodPost, path: base, token: u.pi, status: http.StatusConflict, field: "code",
			body: map[string]any{"code": "PRJ-002", "name": "Again"}},
		{name: "restore", method: http.MethodPost, path: "/api/admin/deleted/projects/" + id + "/restore", token: u.admin, status: http.StatusNoContent},
		{name: "restored", method: http.MethodGet, path: path, token: u.viewer, status: http.StatusOK},
	})
	if n := e.count(`SELECT count(*) FROM projects WHERE name = 'Lost'`); n != 0 {
		t.Fatalf("a stale update was written")
	}
}

// newSample creates a sample as token and returns it.
func (e *apiEnv) newSample(token string, body map[string]any) response {
	e.t.Helper()
	r := e.call(http.MethodPost, "/api/lims/samples", token, body)
	if r.Status != http.StatusCreated {
		e.t.Fatalf("create sample %v: %d %s", body, r.Status, r.Raw)
	}
	return r
}

func TestSamples(t *testing.T) {
	e := newAPIEnv(t)
	u := e.limsTokens()
	const base = "/api/lims/samples"
	project := e.limsID(`SELECT id FROM projects WHERE code = 'PRJ-001' AND organization_id = $1`)
	var foreignProject uuid.UUID
	if err := e.db.Pool().QueryRow(context.Background(), `SELECT id FROM projects WHERE organization_id = $1`, e.orgID("test-org")).Scan(&foreignProject); err != nil {
		t.Fatal(err)
	}
	valid := func(extra map[string]any) map[string]any {
		b := map[string]any{"barcode": "DL-S-0100", "name": "Graphene on SiO2", "material": "Graphene"}
		for k, v := range extra {
			b[k] = v
		}
		return b
	}
	var id, tag string
	e.runLims([]limsCase{
		{name: "create", method: http.MethodPost, path: base, token: u.eng, status: http.StatusCreated,
			body: valid(map[string]any{"project_id": project, "location": "Bench 2", "metadata": map[string]any{"lot": "G-7", "thickness_nm": 0.34}}),
			check: func(t *testing.T, r response) {
				id, tag = r.str("id"), r.Header.Get("ETag")
				md, _ := r.Body["metadata"].(map[string]any)
				if r.str("status") != "registered" || r.str("holder") != "" || r.str("project_id") != project || md["lot"] != "G-7" || tag != `"1"` {
					t.Fatalf("created: %s", r.Raw)
				}
			}},
		{name: "duplicate barcode", method: http.MethodPost, path: base, token: u.eng, status: http.StatusConflict, field: "barcode", body: valid(nil)},
		{name: "a seeded barcode", method: http.MethodPost, path: base, token: u.eng, status: http.StatusConflict, field: "barcode",
			body: valid(map[string]any{"barcode": "DL-S-0001"})},
		{name: "another organization may use the barcode", method: http.MethodPost, path: base, token: u.otherAdmin, status: http.StatusCreated, body: valid(nil)},
		{name: "missing barcode", method: http.MethodPost, path: base, token: u.eng, status: http.StatusUnprocessableEntity, field: "barcode",
			body: map[string]any{"name": "No barcode"}},
		{name: "empty name", method: http.MethodPost, path: base, token: u.eng, status: http.StatusUnprocessableEntity, field: "name",
			body: valid(map[string]any{"barcode": "DL-S-0101", "name": ""})},
		{name: "too long a barcode", method: http.MethodPost, path: base, token: u.eng, status: http.StatusUnprocessableEntity, field: "barcode",
			body: valid(map[string]any{"barcode": strings.Repeat("B", 129)})},
		{name: "another organization's project", method: http.MethodPost, path: base, token: u.eng, status: http.StatusUnprocessableEntity, field: "project_id",
			body: valid(map[string]any{"barcode": "DL-S-0101", "project_id": foreignProject.String()})},
		{name: "a project id that is no id", method: http.MethodPost, path: base, token: u.eng, status: http.StatusUnprocessableEntity, field: "project_id",
			body: valid(map[string]any{"barcode": "DL-S-0101", "project_id": "PRJ-001"})},
		{name: "unknown status", method: http.MethodPost, path: base, token: u.eng, status: http.StatusUnprocessableEntity, field: "status",
			body: valid(map[string]any{"barcode": "DL-S-0101", "status": "lost"})},
		{name: "born disposed", method: http.MethodPost, path: base, token: u.eng, status: http.StatusUnprocessableEntity, field: "status",
			body: valid(map[string]any{"barcode": "DL-S-0101", "status": "disposed"})},
		{name: "metadata that is no object", method: http.MethodPost, path: base, token: u.eng, status: http.StatusUnprocessableEntity, field: "metadata",
			body: valid(map[string]any{"barcode": "DL-S-0101", "metadata": []any{1, 2}})},
		{name: "NUL in the metadata", method: http.MethodPost, path: base, token: u.eng, status: http.StatusUnprocessableEntity, field: "metadata.k",
			body: valid(map[string]any{"barcode": "DL-S-0101", "metadata": map[string]any{"k": "a\x00b"}})},
		{name: "NUL in the location", method: http.MethodPost, path: base, token: u.eng, status: http.StatusUnprocessableEntity, field: "location",
			body: valid(map[string]any{"barcode": "DL-S-0101", "location": "a\x00b"})},
		{name: "the holder is read-only", method: http.MethodPost, path: base, token: u.eng, status: http.StatusUnprocessableEntity, field: "holder",
			body: valid(map[string]any{"barcode": "DL-S-0101", "holder": "me"})},
		{name: "created_by is not the client's to say", method: http.MethodPost, path: base, token: u.eng, status: http.StatusUnprocessableEntity, field: "created_by",
			body: valid(map[string]any{"barcode": "DL-S-0101", "created_by": uuid.NewString()})},
		{name: "a technician may not create", method: http.MethodPost, path: base, token: u.tech, status: http.StatusForbidden, body: valid(map[string]any{"barcode": "DL-S-0101"})},
		{name: "nor may a viewer", method: http.MethodPost, path: base, token: u.viewer, status: http.StatusForbidden, body: valid(map[string]any{"barcode": "DL-S-0101"})},
	})
	if n := e.count(`SELECT count(*) FROM samples WHERE barcode = 'DL-S-0101'`); n != 0 {
		t.Fatalf("a refused sample was written")
	}

	one := func(want string) func(t *testing.T, r response) {
		return func(t *testing.T, r response) {
			t.Helper()
			if it := limsItems(t, r); len(it) != 1 || it[0]["barcode"] != want {
				t.Fatalf("want only %s: %s", want, r.Raw)
			}
		}
	}
	path := base + "/" + id
	e.runLims([]limsCase{
		{name: "find by barcode", method: http.MethodGet, path: base + "?barcode=DL-S-0100", token: u.viewer, status: http.StatusOK, check: one("DL-S-0100")},
		{name: "barcode is exact", method: http.MethodGet, path: base + "?barcode=DL-S-01", token: u.viewer, status: http.StatusOK,
			check: func(t *testing.T, r response) {
				if len(limsItems(t, r)) != 0 {
					t.Fatalf("a partial barcode matched: %s", r.Raw)
				}
			}},
		{name: "by material", method: http.MethodGet, path: base + "?material=gan", token: u.viewer, status: http.StatusOK, check: one("DL-S-0002")},
		{name: "by status", method: http.MethodGet, path: base + "?status=registered", token: u.viewer, status: http.StatusOK, check: one("DL-S-0100")},
		{name: "by project", method: http.MethodGet, path: base + "?project_id=" + project + "&limit=200", token: u.viewer, status: http.StatusOK,
			check: func(t *testing.T, r response) {
				if n := len(limsItems(t, r)); n != 11 {
					t.Fatalf("project filter: %d samples", n)
				}
			}},
		{name: "search", method: http.MethodGet, path: base + "?q=graph", token: u.viewer, status: http.StatusOK, check: one("DL-S-0100")},
		{name: "search treats % literally", method: http.MethodGet, path: base + "?q=%25", token: u.viewer, status: http.StatusOK,
			check: func(t *testing.T, r response) {
				if len(limsItems(t, r)) != 0 {
					t.Fatalf("%% matched everything: %s", r.Raw)
				}
			}},
		{name: "bad project filter", method: http.MethodGet, path: base + "?project_id=nope", token: u.viewer, status: http.StatusUnprocessableEntity},
		{name: "limit above 200", method: http.MethodGet, path: base + "?limit=201", token: u.viewer, status: http.StatusUnprocessableEntity},
		{name: "a forged cursor", method: http.MethodGet, path: base + "?cursor=bm9wZQ", token: u.viewer, status: http.StatusUnprocessableEntity, field: "cursor"},
		{name: "read one", method: http.MethodGet, path: path, token: u.viewer, status: http.StatusOK,
			check: func(t *testing.T, r response) {
				if r.str("barcode") != "DL-S-0100" || r.Header.Get("ETag") != tag {
					t.Fatalf("read: %s", r.Raw)
				}
			}},
		{name: "an id that is no id", method: http.MethodGet, path: base + "/DL-S-0100", token: u.viewer, status: http.StatusUnprocessableEntity},
		{name: "an unknown id", method: http.MethodGet, path: base + "/" + uuid.NewString(), token: u.viewer, status: http.StatusNotFound},

		// Full edits: engineers, with the version read.
		{name: "a technician may not edit everything", method: http.MethodPut, path: path, token: u.tech, status: http.StatusForbidden,
			body: valid(map[string]any{"version": 1})},
		{name: "an edit names its version", method: http.MethodPut, path: path, token: u.eng, status: http.StatusPreconditionRequired, field: "version",
			body: valid(nil)},
		{name: "edit", method: http.MethodPut, path: path, token: u.eng, status: http.StatusOK, headers: []string{"If-Match", tag},
			body: valid(map[string]any{"name": "Graphene on SiO2, annealed", "metadata": map[string]any{"annealed": true}}),
			check: func(t *testing.T, r response) {
				md, _ := r.Body["metadata"].(map[string]any)
				if r.str("name") != "Graphene on SiO2, annealed" || r.Body["project_id"] != nil || md["annealed"] != true ||
					r.str("status") != "registered" || r.str("location") != "" || r.Header.Get("ETag") != `"2"` {
					t.Fatalf("edited: %s", r.Raw)
				}
			}},
		{name: "lost update: stale If-Match", method: http.MethodPut, path: path, token: u.eng, status: http.StatusPreconditionFailed,
			headers: []string{"If-Match", tag}, body: valid(map[string]any{"name": "Lost"})},
		{name: "lost update: stale version", method: http.MethodPut, path: path, token: u.eng, status: http.StatusConflict, field: "version",
			body: valid(map[string]any{"name": "Lost", "version": 1})},
		{name: "a barcode taken by another sample", method: http.MethodPut, path: path, token: u.eng, status: http.StatusConflict, field: "barcode",
			body: valid(map[string]any{"barcode": "DL-S-0002", "version": 2})},
		{name: "a malformed If-Match", method: http.MethodPut, path: path, token: u.eng, status: http.StatusUnprocessableEntity, field: "header.If-Match",
			headers: []string{"If-Match", "yesterday"}, body: valid(nil)},

		// The technician's limited edit.
		{name: "a technician moves it", method: http.MethodPatch, path: path, token: u.tech, status: http.StatusOK, headers: []string{"If-Match", `"2"`},
			body: map[string]any{"location": "Glovebox 1", "status": "in_use"},
			check: func(t *testing.T, r response) {
				if r.str("location") != "Glovebox 1" || r.str("status") != "in_use" || r.str("name") != "Graphene on SiO2, annealed" {
					t.Fatalf("patched: %s", r.Raw)
				}
			}},
		{name: "a technician's stale If-Match", method: http.MethodPatch, path: path, token: u.tech, status: http.StatusPreconditionFailed,
			headers: []string{"If-Match", `"2"`}, body: map[string]any{"location": "Lost"}},
		{name: "only status and location", method: http.MethodPatch, path: path, token: u.tech, status: http.StatusUnprocessableEntity, field: "name",
			body: map[string]any{"name": "Renamed"}},
		{name: "a move names its version", method: http.MethodPatch, path: path, token: u.tech, status: http.StatusPreconditionRequired, field: "header.If-Match",
			body: map[string]any{"location": "Silently overwritten"}},
		{name: "something to change", method: http.MethodPatch, path: path, token: u.tech, status: http.StatusUnprocessableEntity, field: "status",
			headers: []string{"If-Match", `"3"`}, body: map[string]any{}},
		{name: "no disposal by an edit", method: http.MethodPatch, path: path, token: u.tech, status: http.StatusUnprocessableEntity, field: "status",
			headers: []string{"If-Match", `"3"`}, body: map[string]any{"status": "disposed"}},
		{name: "a viewer may not move it", method: http.MethodPatch, path: path, token: u.viewer, status: http.StatusForbidden,
			body: map[string]any{"location": "Home"}},
		{name: "a technician may not delete", method: http.MethodDelete, path: path, token: u.tech, status: http.StatusForbidden},
		{name: "test-org cannot see it", method: http.MethodGet, path: path, token: u.otherAdmin, status: http.StatusNotFound},
	})
	if n := e.count(`SELECT count(*) FROM samples WHERE name = 'Lost' OR location = 'Lost'`); n != 0 {
		t.Fatalf("a stale update was written")
	}
	// Every change is in the audit log, with its actor.
	if n := e.count(`SELECT count(*) FROM audit_log WHERE table_name = 'samples' AND row_id = $1 AND action = 'UPDATE'`, uuid.MustParse(id)); n != 2 {
		t.Fatalf("%d audited updates, want 2", n)
	}
}

func TestSampleSoftDeleteAndRestore(t *testing.T) {
	e := newAPIEnv(t)
	u := e.limsTokens()
	id := e.limsID(`SELECT id FROM samples WHERE barcode = 'DL-S-0003' AND organization_id = $1`)
	path := "/api/lims/samples/" + id
	visible := func(want bool) func(t *testing.T, r response) {
		return func(t *testing.T, r response) {
			t.Helper()
			found := false
			for _, it := range limsItems(t, r) {
				found = found || it["id"] == id || it["sample_id"] == id
			}
			if found != want {
				t.Fatalf("listed = %v, want %v: %s", found, want, r.Raw)
			}
		}
	}
	e.runLims([]limsCase{
		{name: "stale If-Match", method: http.MethodDelete, path: path, token: u.eng, status: http.StatusPreconditionFailed, headers: []string{"If-Match", `"7"`}},
		{name: "delete", method: http.MethodDelete, path: path, token: u.eng, status: http.StatusNoContent, headers: []string{"If-Match", `"1"`}},
		{name: "gone", method: http.MethodGet, path: path, token: u.eng, status: http.StatusNotFound},
		{name: "not listed", method: http.MethodGet, path: "/api/lims/samples?limit=200", token: u.eng, status: http.StatusOK, check: visible(false)},
		{name: "nor by barcode", method: http.MethodGet, path: "/api/lims/samples?barcode=DL-S-0003", token: u.eng, status: http.StatusOK, check: visible(false)},
		{name: "its wafers are gone", method: http.MethodGet, path: path + "/wafers", token: u.eng, status: http.StatusNotFound},
		{name: "its devices are gone", method: http.MethodGet, path: "/api/lims/devices?sample_id=" + id, token: u.eng, status: http.StatusOK,
			check: func(t *testing.T, r response) {
				if len(limsItems(t, r)) != 0 {
					t.Fatalf("devices of a deleted sample: %s", r.Raw)
				}
			}},
		{name: "its custody is gone", method: http.MethodGet, path: path + "/custody", token: u.eng, status: http.StatusNotFound},
		{name: "no custody event for it", method: http.MethodPost, path: "/api/lims/custody", token: u.tech, status: http.StatusUnprocessableEntity, field: "sample_id",
			body: map[string]any{"sample_id": id, "event_type": "returned"}},
		{name: "deleting twice", method: http.MethodDelete, path: path, token: u.eng, status: http.StatusNotFound},
		{name: "no edits", method: http.MethodPatch, path: path, token: u.eng, status: http.StatusNotFound, body: map[string]any{"location": "X"},
			headers: []string{"If-Match", `"1"`}},
		{name: "the admin lists it", method: http.MethodGet, path: "/api/admin/deleted?table=samples", token: u.admin, status: http.StatusOK, check: visible(true)},
		{name: "test-org's admin cannot restore it", method: http.MethodPost, path: "/api/admin/deleted/samples/" + id + "/restore", token: u.otherAdmin, status: http.StatusNotFound},
		{name: "restore", method: http.MethodPost, path: "/api/admin/deleted/samples/" + id + "/restore", token: u.admin, status: http.StatusNoContent},
		{name: "back", method: http.MethodGet, path: path, token: u.viewer, status: http.StatusOK},
		{name: "listed again", method: http.MethodGet, path: "/api/lims/samples?barcode=DL-S-0003", token: u.viewer, status: http.StatusOK, check: visible(true)},
		{name: "with its wafers", method: http.MethodGet, path: path + "/wafers", token: u.viewer, status: http.StatusOK,
			check: func(t *testing.T, r response) {
				if it := limsItems(t, r); len(it) != 1 || it[0]["label"] != "W1" {
					t.Fatalf("wafers after restore: %s", r.Raw)
				}
			}},
		{name: "and custody", method: http.MethodGet, path: path + "/custody", token: u.viewer, status: http.StatusOK,
			check: func(t *testing.T, r response) {
				if it := limsItems(t, r); len(it) != 1 || it[0]["event_type"] != "received" {
					t.Fatalf("custody after restore: %s", r.Raw)
				}
			}},
	})
	if n := e.count(`SELECT count(*) FROM samples WHERE id = $1`, uuid.MustParse(id)); n != 1 {
		t.Fatalf("the delete was not soft")
	}
}

// A newest-first walk sees exactly the rows that existed when it began,
// each once, however many rows are added between its pages.
func TestSamplePaginationUnderInserts(t *testing.T) {
	e := newAPIEnv(t)
	eng := e.token("engineer@demo.lab", "eng123")
	for i := range 7 {
		e.newSample(eng, map[string]any{"barcode": fmt.Sprintf("PG-%02d", i), "name": "Paging"})
	}
	want := map[string]bool{}
	all := e.call(http.MethodGet, "/api/lims/samples?limit=200", eng, nil)
	for _, it := range limsItems(t, all) {
		want[it["id"].(string)] = true
	}
	if len(want) != 17 || all.Body["next_cursor"] != nil {
		t.Fatalf("%d samples at the start: %s", len(want), all.Raw)
	}
	seen := map[string]bool{}
	var last string
	cursor, pages := "", 0
	for ; pages < 20; pages++ {
		r := e.call(http.MethodGet, "/api/lims/samples?limit=3&cursor="+cursor, eng, nil)
		if r.Status != http.StatusOK {
			t.Fatalf("page %d: %d %s", pages, r.Status, r.Raw)
		}
		for _, it := range limsItems(t, r) {
			id := it["id"].(string)
			if seen[id] {
				t.Fatalf("sample %s on two pages", id)
			}
			if last != "" && id >= last {
				t.Fatalf("not newest first: %s after %s", id, last)
			}
			seen[id], last = true, id
		}
		// New samples arrive while the client reads.
		e.newSample(eng, map[string]any{"barcode": fmt.Sprintf("PG-NEW-%02d", pages), "name": "Arrived meanwhile"})
		next, _ := r.Body["next_cursor"].(string)
		if next == "" {
			break
		}
		cursor = next
	}
	if pages != 5 {
		t.Fatalf("17 samples in pages of 3 took %d pages", pages+1)
	}
	if len(seen) != len(want) {
		t.Fatalf("the walk saw %d samples, %d existed", len(seen), len(want))
	}
	for id := range want {
		if !seen[id] {
			t.Fatalf("the walk skipped %s", id)
		}
	}
}

func TestWafersAndDevices(t *testing.T) {
	e := newAPIEnv(t)
	u := e.limsTokens()
	sample := e.newSample(u.eng, map[string]any{"barcode": "DL-S-0200", "name": "Device wafer"}).str("id")
	other := e.limsID(`SELECT id FROM samples WHERE barcode = 'DL-S-0001' AND organization_id = $1`)
	var foreignWafer uuid.UUID
	if err := e.db.Pool().QueryRow(context.Background(), `SELECT id FROM wafers WHERE organization_id = $1 LIMIT 1`, e.orgID("test-org")).Scan(&foreignWafer); err != nil {
		t.Fatal(err)
	}
	wafers := "/api/lims/samples/" + sample + "/wafers"
	var wafer, device, tag string
	e.runLims([]limsCase{
		{name: "add a wafer", method: http.MethodPost, path: wafers, token: u.eng, status: http.StatusCreated,
			body: map[string]any{"label": "W1", "diameter_mm": 150, "notes": "Prime grade", "metadata": map[string]any{"orientation": "100"}},
			check: func(t *testing.T, r response) {
				wafer = r.str("id")
				if r.str("sample_id") != sample || r.Body["diameter_mm"] != float64(150) || r.str("notes") != "Prime grade" {
					t.Fatalf("wafer: %s", r.Raw)
				}
			}},
		{name: "a wafer without a diameter", method: http.MethodPost, path: wafers, token: u.eng, status: http.StatusCreated, body: map[string]any{"label": "W2"},
			check: func(t *testing.T, r response) {
				if r.Body["diameter_mm"] != nil {
					t.Fatalf("diameter: %s", r.Raw)
				}
			}},
		{name: "the label is taken", method: http.MethodPost, path: wafers, token: u.eng, status: http.StatusConflict, field: "label", body: map[string]any{"label": "W1"}},
		{name: "another sample may use the label", method: http.MethodPost, path: "/api/lims/samples/" + other + "/wafers", token: u.eng, status: http.StatusCreated,
			body: map[string]any{"label": "W2"}},
		{name: "but not twice", method: http.MethodPost, path: "/api/lims/samples/" + other + "/wafers", token: u.eng, status: http.StatusConflict,
			field: "label", body: map[string]any{"label": "W1"}},
		{name: "a negative diameter", method: http.MethodPost, path: wafers, token: u.eng, status: http.StatusUnprocessableEntity, field: "diameter_mm",
			body: map[string]any{"label": "W3", "diameter_mm": -5}},
		{name: "no label", method: http.MethodPost, path: wafers, token: u.eng, status: http.StatusUnprocessableEntity, field: "label", body: map[string]any{}},
		{name: "a technician may not add wafers", method: http.MethodPost, path: wafers, token: u.tech, status: http.StatusForbidden, body: map[string]any{"label": "W3"}},
		{name: "an unknown sample", method: http.MethodPost, path: "/api/lims/samples/" + uuid.NewString() + "/wafers", token: u.eng, status: http.StatusNotFound,
			body: map[string]any{"label": "W1"}},
		{name: "list the wafers, newest first", method: http.MethodGet, path: wafers, token: u.viewer, status: http.StatusOK,
			check: func(t *testing.T, r response) {
				if it := limsItems(t, r); len(it) != 2 || it[0]["label"] != "W2" || it[1]["label"] != "W1" {
					t.Fatalf("wafers: %s", r.Raw)
				}
			}},
	})
	e.runLims([]limsCase{
		{name: "add a device", method: http.MethodPost, path: "/api/lims/devices", token: u.eng, status: http.StatusCreated,
			body: map[string]any{"wafer_id": wafer, "name": "T1", "kind": "transistor", "position": "die (0,0)"},
			check: func(t *testing.T, r response) {
				device, tag = r.str("id"), r.Header.Get("ETag")
				if r.str("wafer_id") != wafer || r.str("sample_id") != sample || r.str("kind") != "transistor" {
					t.Fatalf("device: %s", r.Raw)
				}
			}},
	})
	e.runLims([]limsCase{
		{name: "the name is taken on the wafer", method: http.MethodPost, path: "/api/lims/devices", token: u.eng, status: http.StatusConflict, field: "name",
			body: map[string]any{"wafer_id": wafer, "name": "T1"}},
		{name: "another organization's wafer", method: http.MethodPost, path: "/api/lims/devices", token: u.eng, status: http.StatusUnprocessableEntity, field: "wafer_id",
			body: map[string]any{"wafer_id": foreignWafer.String(), "name": "T2"}},
		{name: "no wafer", method: http.MethodPost, path: "/api/lims/devices", token: u.eng, status: http.StatusUnprocessableEntity, field: "wafer_id",
			body: map[string]any{"name": "T2"}},
		{name: "by wafer", method: http.MethodGet, path: "/api/lims/devices?wafer_id=" + wafer, token: u.viewer, status: http.StatusOK,
			check: func(t *testing.T, r response) {
				if it := limsItems(t, r); len(it) != 1 || it[0]["id"] != device {
					t.Fatalf("by wafer: %s", r.Raw)
				}
			}},
		{name: "by sample", method: http.MethodGet, path: "/api/lims/devices?sample_id=" + other, token: u.viewer, status: http.StatusOK,
			check: func(t *testing.T, r response) {
				if it := limsItems(t, r); len(it) != 4 {
					t.Fatalf("a seeded sample's devices: %s", r.Raw)
				}
			}},
		{name: "read one", method: http.MethodGet, path: "/api/lims/devices/" + device, token: u.viewer, status: http.StatusOK},
		{name: "edit", method: http.MethodPut, path: "/api/lims/devices/" + device, token: u.eng, status: http.StatusOK, headers: []string{"If-Match", tag},
			body: map[string]any{"name": "T1", "kind": "finFET", "position": "die (0,1)", "metadata": map[string]any{"gate_nm": 14}},
			check: func(t *testing.T, r response) {
				if r.str("kind") != "finFET" || r.str("wafer_id") != wafer || r.Header.Get("ETag") != `"2"` {
					t.Fatalf("edited: %s", r.Raw)
				}
			}},
		{name: "stale If-Match", method: http.MethodPut, path: "/api/lims/devices/" + device, token: u.eng, status: http.StatusPreconditionFailed,
			headers: []string{"If-Match", tag}, body: map[string]any{"name": "Lost"}},
		{name: "stale version", method: http.MethodPut, path: "/api/lims/devices/" + device, token: u.eng, status: http.StatusConflict, field: "version",
			body: map[string]any{"name": "Lost", "version": 1}},
		{name: "a device does not change wafers", method: http.MethodPut, path: "/api/lims/devices/" + device, token: u.eng, status: http.StatusUnprocessableEntity,
			field: "wafer_id", body: map[string]any{"name": "T1", "wafer_id": wafer, "version": 2}},
		{name: "a technician may not edit devices", method: http.MethodPut, path: "/api/lims/devices/" + device, token: u.tech, status: http.StatusForbidden,
			body: map[string]any{"name": "T1", "version": 2}},
		{name: "test-org cannot see it", method: http.MethodGet, path: "/api/lims/devices/" + device, token: u.otherAdmin, status: http.StatusNotFound},
	})
	if n := e.count(`SELECT count(*) FROM devices WHERE name = 'Lost'`); n != 0 {
		t.Fatalf("a stale update was written")
	}
}

// actionsAre checks that an answer's actions are want, in order.
func actionsAre(want ...string) func(t *testing.T, r response) {
	return func(t *testing.T, r response) {
		t.Helper()
		got, ok := r.Body["actions"].([]any)
		if !ok || fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("actions %v, want %v", r.Body["actions"], want)
		}
	}
}

// A sample's actions follow the caller's role and the sample's status, and
// the server refuses what they leave out: a disposed sample records no
// custody, changes no status and gains no wafer or device.
func TestSampleActionsFollowRoleAndStatus(t *testing.T) {
	e := newAPIEnv(t)
	u := e.limsTokens()
	id := e.newSample(u.eng, map[string]any{"barcode": "DL-S-0300", "name": "To be disposed"}).str("id")
	path := "/api/lims/samples/" + id
	var wafer string
	e.runLims([]limsCase{
		{name: "an engineer may do everything", method: http.MethodGet, path: path, token: u.eng, status: http.StatusOK,
			check: actionsAre("edit", "update_status", "record_custody", "add_wafer", "delete")},
		{name: "a technician moves it", method: http.MethodGet, path: path, token: u.tech, status: http.StatusOK,
			check: actionsAre("update_status", "record_custody")},
		{name: "a viewer reads it", method: http.MethodGet, path: path, token: u.viewer, status: http.StatusOK, check: actionsAre()},
		{name: "in the list too", method: http.MethodGet, path: "/api/lims/samples?barcode=DL-S-0300", token: u.tech, status: http.StatusOK,
			check: func(t *testing.T, r response) {
				items := limsItems(t, r)
				if len(items) != 1 || fmt.Sprint(items[0]["actions"]) != "[update_status record_custody]" {
					t.Fatalf("list actions: %v", items)
				}
			}},
		{name: "a wafer while it lives", method: http.MethodPost, path: path + "/wafers", token: u.eng, status: http.StatusCreated,
			body: map[string]any{"label": "W1"}, check: func(t *testing.T, r response) { wafer = r.str("id") }},
		{name: "disposed of", method: http.MethodPost, path: "/api/lims/custody", token: u.tech, status: http.StatusCreated,
			body: map[string]any{"sample_id": id, "event_type": "disposed"}},
		{name: "then only corrected or deleted", method: http.MethodGet, path: path, token: u.eng, status: http.StatusOK,
			check: actionsAre("edit", "delete")},
		{name: "nothing for a technician", method: http.MethodGet, path: path, token: u.tech, status: http.StatusOK, check: actionsAre()},
		{name: "no wafer", method: http.MethodPost, path: path + "/wafers", token: u.eng, status: http.StatusConflict,
			body: map[string]any{"label": "W2"}},
		{name: "no device", method: http.MethodPost, path: "/api/lims/devices", token: u.eng, status: http.StatusConflict,
			body: map[string]any{"wafer_id": &wafer, "name": "D1"}},
		{name: "no location change", method: http.MethodPatch, path: path, token: u.tech, status: http.StatusConflict,
			body: map[string]any{"location": "Bench 3"}, headers: []string{"If-Match", `"2"`}},
		{name: "no custody", method: http.MethodPost, path: "/api/lims/custody", token: u.tech, status: http.StatusConflict,
			body: map[string]any{"sample_id": id, "event_type": "transferred", "to_holder": "Bob"}},
	})
	if n := e.count(`SELECT count(*) FROM wafers w JOIN samples s ON s.id = w.sample_id WHERE s.barcode = 'DL-S-0300'`); n != 1 {
		t.Fatalf("%d wafers, want the one made before disposal", n)
	}
	if n := e.count(`SELECT count(*) FROM devices d JOIN wafers w ON w.id = d.wafer_id JOIN samples s ON s.id = w.sample_id WHERE s.barcode = 'DL-S-0300'`); n != 0 {
		t.Fatalf("%d devices on a disposed sample", n)
	}
}

// A revision's actions follow the caller's role and its status.
func TestRevisionActionsFollowRoleAndStatus(t *testing.T) {
	e := newAPIEnv(t)
	u := e.limsTokens()
	draft := "/api/lims/recipes/" + e.limsID(`SELECT id FROM recipes WHERE name = 'Optical Transmission Spectrum' AND organization_id = $1`)
	approved := "/api/lims/sops/" + e.limsID(`SELECT id FROM sops WHERE code = 'SOP-IV-001' AND organization_id = $1`)
	e.runLims([]limsCase{
		{name: "a PI edits or submits a draft", method: http.MethodGet, path: draft, token: u.pi, status: http.StatusOK, check: actionsAre("edit", "submit")},
		{name: "an engineer too", method: http.MethodGet, path: draft, token: u.eng, status: http.StatusOK, check: actionsAre("edit", "submit")},
		{name: "a technician reads it", method: http.MethodGet, path: draft, token: u.tech, status: http.StatusOK, check: actionsAre()},
		{name: "a PI retires an approved SOP", method: http.MethodGet, path: approved, token: u.pi, status: http.StatusOK,
			check: actionsAre("retire", "new_version")},
		{name: "an engineer starts its next version", method: http.MethodGet, path: approved, token: u.eng, status: http.StatusOK,
			check: actionsAre("new_version")},
		{name: "in the list too", method: http.MethodGet, path: "/api/lims/sops?status=approved", token: u.viewer, status: http.StatusOK,
			check: func(t *testing.T, r response) {
				for _, x := range limsItems(t, r) {
					if a, ok := x["actions"].([]any); !ok || len(a) != 0 {
						t.Fatalf("a viewer's actions: %v", x["actions"])
					}
				}
			}},
	})
}
