package httpapi

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"

	"github.com/spectra-lab/spectra/internal/spectra"
)

func init() {
	crossOrgCases = append(crossOrgCases, func(e *apiEnv, _ string) map[string]crossOrgCase {
		approved := map[string]string{"id": e.recipeID("demo-lab", "IV Sweep")}
		draft := map[string]string{"id": e.recipeID("demo-lab", "Optical Transmission Spectrum")}
		// test-org's admin signs with their own (right) password: only the
		// id can fail.
		sign := map[string]any{"comment": "looks fine", "password": "admin123"}
		return map[string]crossOrgCase{
			"GET /api/lims/recipes/{id}":           {ids: approved},
			"PUT /api/lims/recipes/{id}":           {ids: draft, body: map[string]any{"name": "Taken over", "version": 1}},
			"POST /api/lims/recipes/{id}/submit":   {ids: draft},
			"POST /api/lims/recipes/{id}/withdraw": {ids: draft},
			"POST /api/lims/recipes/{id}/reject":   {ids: draft, body: map[string]any{"reason": "not yours"}},
			"POST /api/lims/recipes/{id}/approve":  {ids: draft, body: sign},
			"POST /api/lims/recipes/{id}/retire":   {ids: approved},
			"POST /api/lims/recipes/{id}/versions": {ids: approved},
			"GET /api/lims/recipes/{id}/approvals": {ids: approved},
		}
	})
}

// recipeID is the id of the organization's recipe revision named name
// (the newest, if several).
func (e *apiEnv) recipeID(org, name string) string {
	e.t.Helper()
	var id uuid.UUID
	if err := e.db.Pool().QueryRow(context.Background(), `SELECT r.id FROM recipes r JOIN organizations o ON o.id = r.organization_id
		WHERE o.slug = $1 AND r.name = $2 ORDER BY r.revision DESC LIMIT 1`, org, name).Scan(&id); err != nil {
		e.t.Fatalf("recipe %s of %s: %v", name, org, err)
	}
	return id.String()
}

// methodsDecode reads a response body into v, failing the test if it cannot.
func methodsDecode[T any](t *testing.T, r response) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(r.Raw, &v); err != nil {
		t.Fatalf("decode %s: %v", r.Raw, err)
	}
	return v
}

// methodsProblemNames reports whether a problem names field among its errors.
func methodsProblemNames(r response, field string) bool {
	errs, _ := r.Body["errors"].([]any)
	for _, e := range errs {
		if m, _ := e.(map[string]any); m["field"] == field {
			return true
		}
	}
	return false
}

var fourPointRecipe = map[string]any{
	"name":        "Four-point probe",
	"description": "Sheet resistance.",
	"parameters": []map[string]any{
		{"name": "current", "unit": "A", "min": 1e-6, "max": 0.1, "default": 0.001},
		{"name": "spacing", "unit": "mm", "min": 0.5, "max": 2},
	},
	"instrument_kinds": []string{"SMU"},
}

func TestRecipeLifecycle(t *testing.T) {
	e := newAPIEnv(t)
	eng := e.token("engineer@demo.lab", "eng123")
	pi := e.token("pi@demo.lab", "pi123")
	base := "/api/lims/recipes"

	created := e.call(http.MethodPost, base, eng, fourPointRecipe)
	if created.Status != http.StatusCreated || created.str("status") != "draft" || created.Body["revision"] != 1.0 ||
		created.Header.Get("ETag") != `"1"` || created.str("created_by") != e.userID("engineer@demo.lab") {
		t.Fatalf("create: %d %s", created.Status, created.Raw)
	}
	id, lineage := created.str("id"), created.str("lineage_id")
	path := base + "/" + id

	// Edit the draft: If-Match, then a stale If-Match (412), a stale body
	// version (409), no version at all (422).
	edit := map[string]any{"name": "Four-point probe", "description": "Sheet resistance, 4 points.", "parameters": fourPointRecipe["parameters"], "instrument_kinds": []string{"SMU"}}
	if r := e.call(http.MethodPut, path, eng, edit, "If-Match", `"1"`); r.Status != http.StatusOK || r.Header.Get("ETag") != `"2"` || r.str("description") != "Sheet resistance, 4 points." {
		t.Fatalf("edit: %d %s", r.Status, r.Raw)
	}
	if r := e.call(http.MethodPut, path, eng, edit, "If-Match", `"1"`); r.Status != http.StatusPreconditionFailed {
		t.Errorf("stale If-Match: %d %s", r.Status, r.Raw)
	}
	stale := map[string]any{"name": "Lost update", "version": 1}
	if r := e.call(http.MethodPut, path, eng, stale); r.Status != http.StatusConflict {
		t.Errorf("stale body version: %d %s", r.Status, r.Raw)
	}
	if r := e.call(http.MethodPut, path, eng, map[string]any{"name": "No version"}); r.Status != http.StatusPreconditionRequired || !methodsProblemNames(r, "version") {
		t.Errorf("no version: %d %s", r.Status, r.Raw)
	}
	if n := e.count(`SELECT count(*) FROM recipes WHERE id = $1 AND name = 'Four-point probe' AND version = 2`, id); n != 1 {
		t.Fatalf("a refused update changed the recipe")
	}

	// Review: the engineer submits the draft; from then on it cannot change.
	if r := e.call(http.MethodPost, path+"/submit", eng, nil, "If-Match", `"2"`); r.Status != http.StatusOK || r.Header.Get("ETag") != `"3"` ||
		r.str("submitted_by") != e.userID("engineer@demo.lab") || r.Body["submitted_at"] == nil {
		t.Fatalf("submit: %d %s", r.Status, r.Raw)
	}
	if r := e.call(http.MethodPut, path, eng, edit, "If-Match", `"3"`); r.Status != http.StatusConflict {
		t.Errorf("edit a submitted draft: %d %s", r.Status, r.Raw)
	}

	// Approval: an engineer may not; a wrong password is 401 and counted;
	// the PI's approval writes the signature, the approval and the status.
	sign := map[string]any{"comment": "Checked against SOP-IV-001.", "password": "pi123"}
	if r := e.call(http.MethodPost, path+"/approve", eng, map[string]any{"password": "eng123"}); r.Status != http.StatusForbidden {
		t.Errorf("engineer approves: %d %s", r.Status, r.Raw)
	}
	failedBefore := e.count(`SELECT count(*) FROM login_attempts WHERE username = 'pi@demo.lab' AND NOT succeeded`)
	if r := e.call(http.MethodPost, path+"/approve", pi, map[string]any{"password": "wrong"}); r.Status != http.StatusUnauthorized || !methodsProblemNames(r, "password") {
		t.Errorf("wrong password: %d %s", r.Status, r.Raw)
	}
	if n := e.count(`SELECT count(*) FROM login_attempts WHERE username = 'pi@demo.lab' AND NOT succeeded`); n != failedBefore+1 {
		t.Errorf("failed attempts %d, want %d", n, failedBefore+1)
	}
	if n := e.count(`SELECT count(*) FROM signatures WHERE recipe_id = $1`, id); n != 0 {
		t.Fatalf("a refused approval signed")
	}
	if r := e.call(http.MethodPost, path+"/approve", pi, sign, "If-Match", `"1"`); r.Status != http.StatusPreconditionFailed {
		t.Errorf("approve a stale version: %d %s", r.Status, r.Raw)
	}
	approved := e.call(http.MethodPost, path+"/approve", pi, sign, "If-Match", `"3"`)
	if approved.Status != http.StatusOK {
		t.Fatalf("approve: %d %s", approved.Status, approved.Raw)
	}
	out := methodsDecode[struct {
		Recipe   spectra.Recipe
		Approval spectra.RecipeApproval
	}](t, approved)
	piID := e.userID("pi@demo.lab")
	if out.Recipe.Status != spectra.MethodStatusApproved || out.Recipe.ApprovedAt == nil || out.Recipe.ApprovedBy == nil || out.Recipe.ApprovedBy.String() != piID {
		t.Errorf("approved recipe: %+v", out.Recipe)
	}
	want, _ := spectra.SignatureDigest(spectra.SchemeV2, out.Recipe.SignedContent())
	if out.Approval.ApproverRole != spectra.RolePI || out.Approval.Comment != sign["comment"] || out.Approval.Signature == nil ||
		out.Approval.Signature.ContentSHA256 != hex.EncodeToString(want[:]) || !out.Approval.Signature.Matches || out.Approval.Signature.Scheme != spectra.SchemeV2 {
		t.Errorf("approval: %+v %+v", out.Approval, out.Approval.Signature)
	}
	if n := e.count(`SELECT count(*) FROM signatures s JOIN recipe_approvals a ON a.signature_id = s.id
		WHERE s.recipe_id = $1 AND a.recipe_id = $1 AND s.signer_id = $2 AND s.signer_role = 'pi' AND s.meaning = 'approved'
		  AND s.auth_method = 'password' AND s.content_sha256 = $3 AND a.approver_role = 'pi'`, id, piID, want[:]); n != 1 {
		t.Errorf("signature and approval rows: %d", n)
	}
	if n := e.count(`SELECT count(*) FROM audit_log WHERE table_name = 'recipe_approvals' AND action = 'INSERT'
		AND row_id = $1 AND actor_id = $2`, out.Approval.ID, piID); n != 1 {
		t.Errorf("the audit log holds %d records of the approval", n)
	}
	if n := e.count(`SELECT count(*) FROM audit_log WHERE table_name = 'recipes' AND action = 'UPDATE' AND row_id = $1
		AND new_values ->> 'status' = 'approved'`, id); n != 1 {
		t.Errorf("the audit log holds %d records of the status change", n)
	}
	list := e.call(http.MethodGet, path+"/approvals", eng, nil)
	items, _ := list.Body["items"].([]any)
	if list.Status != http.StatusOK || len(items) != 1 || list.Body["next_cursor"] != nil {
		t.Errorf("approvals: %d %s", list.Status, list.Raw)
	}

	// An approved revision is immutable and approved once.
	if r := e.call(http.MethodPost, path+"/approve", pi, sign); r.Status != http.StatusConflict {
		t.Errorf("approve twice: %d %s", r.Status, r.Raw)
	}
	if r := e.call(http.MethodPut, path, eng, map[string]any{"name": "Changed", "version": 4}); r.Status != http.StatusConflict {
		t.Errorf("edit an approved recipe: %d %s", r.Status, r.Raw)
	}

	// A new version: the next revision of the lineage, a draft copy; the
	// original stays as it was. A second new version while that draft is
	// open is 409 (one open draft per lineage).
	v2 := e.call(http.MethodPost, path+"/versions", eng, nil)
	if v2.Status != http.StatusCreated || v2.Body["revision"] != 2.0 || v2.str("lineage_id") != lineage || v2.str("status") != "draft" ||
		v2.str("id") == id || v2.str("description") != "Sheet resistance, 4 points." || len(v2.Body["parameters"].([]any)) != 2 {
		t.Fatalf("new version: %d %s", v2.Status, v2.Raw)
	}
	if r := e.call(http.MethodPost, path+"/versions", eng, nil); r.Status != http.StatusConflict {
		t.Errorf("second new version while one is open: %d %s", r.Status, r.Raw)
	}
	if r := e.call(http.MethodPost, base+"/"+v2.str("id")+"/versions", eng, nil); r.Status != http.StatusConflict {
		t.Errorf("new version of a draft: %d %s", r.Status, r.Raw)
	}
	orig := e.call(http.MethodGet, path, eng, nil)
	if orig.str("status") != "approved" || orig.Body["revision"] != 1.0 || orig.Header.Get("ETag") != approved.Header.Get("ETag") {
		t.Errorf("the original changed: %s", orig.Raw)
	}
	lineageList := e.call(http.MethodGet, base+"?lineage_id="+lineage, eng, nil)
	if items, _ := lineageList.Body["items"].([]any); len(items) != 2 || items[0].(map[string]any)["revision"] != 2.0 {
		t.Errorf("lineage list (newest first): %s", lineageList.Raw)
	}

	// Retirement: PI only, approved only.
	if r := e.call(http.MethodPost, path+"/retire", eng, nil); r.Status != http.StatusForbidden {
		t.Errorf("engineer retires: %d %s", r.Status, r.Raw)
	}
	if r := e.call(http.MethodPost, base+"/"+v2.str("id")+"/retire", pi, nil); r.Status != http.StatusConflict {
		t.Errorf("retire a draft: %d %s", r.Status, r.Raw)
	}
	if r := e.call(http.MethodPost, path+"/retire", pi, nil, "If-Match", `"1"`); r.Status != http.StatusPreconditionFailed {
		t.Errorf("retire with a stale If-Match: %d %s", r.Status, r.Raw)
	}
	retired := e.call(http.MethodPost, path+"/retire", pi, nil)
	if retired.Status != http.StatusOK || retired.str("status") != "retired" || retired.Body["retired_at"] == nil {
		t.Fatalf("retire: %d %s", retired.Status, retired.Raw)
	}
	if r := e.call(http.MethodPost, path+"/retire", pi, nil); r.Status != http.StatusConflict {
		t.Errorf("retire twice: %d %s", r.Status, r.Raw)
	}
	if r := e.call(http.MethodPost, path+"/approve", pi, sign); r.Status != http.StatusConflict {
		t.Errorf("approve a retired recipe: %d %s", r.Status, r.Raw)
	}
	// The signature still covers the retired revision: retiring changes
	// nothing a run follows.
	if r := e.call(http.MethodGet, path+"/approvals", eng, nil); !strings.Contains(string(r.Raw), `"matches":true`) {
		t.Errorf("approvals after retirement: %s", r.Raw)
	}
}

func TestRecipeSeededStates(t *testing.T) {
	e := newAPIEnv(t)
	viewer := e.token("viewer@demo.lab", "view123")
	pi := e.token("pi@demo.lab", "pi123")
	for _, tc := range []struct {
		status string
		names  []string
	}{
		{"approved", []string{"IV Sweep"}},
		{"draft", []string{"Optical Transmission Spectrum"}},
		{"retired", []string{"Legacy XRD Scan"}},
	} {
		r := e.call(http.MethodGet, "/api/lims/recipes?status="+tc.status, viewer, nil)
		items, _ := r.Body["items"].([]any)
		if r.Status != http.StatusOK || len(items) != len(tc.names) || items[0].(map[string]any)["name"] != tc.names[0] {
			t.Errorf("status=%s: %d %s", tc.status, r.Status, r.Raw)
		}
	}
	if r := e.call(http.MethodGet, "/api/lims/recipes?q=xrd", viewer, nil); len(r.Body["items"].([]any)) != 1 {
		t.Errorf("q=xrd: %s", r.Raw)
	}
	// The seeded approval carries the PI's signature over the revision's
	// exact content; the server recomputes the digest and it matches.
	iv := e.recipeID("demo-lab", "IV Sweep")
	if r := e.call(http.MethodGet, "/api/lims/recipes/"+iv+"/approvals", viewer, nil); r.Status != http.StatusOK ||
		!strings.Contains(string(r.Raw), `"matches":true`) || !strings.Contains(string(r.Raw), `"approver_email":"pi@demo.lab"`) {
		t.Errorf("seeded approvals: %d %s", r.Status, r.Raw)
	}
	sops := e.call(http.MethodGet, "/api/lims/sops?status=approved", viewer, nil)
	for _, it := range sops.Body["items"].([]any) {
		id := it.(map[string]any)["id"].(string)
		if r := e.call(http.MethodGet, "/api/lims/sops/"+id+"/approvals", viewer, nil); r.Status != http.StatusOK ||
			strings.Count(string(r.Raw), `"matches":true`) != 1 {
			t.Errorf("seeded SOP approvals: %d %s", r.Status, r.Raw)
		}
	}
	// A retired recipe can start a new version; it stays retired.
	legacy := e.recipeID("demo-lab", "Legacy XRD Scan")
	if r := e.call(http.MethodPost, "/api/lims/recipes/"+legacy+"/versions", pi, nil); r.Status != http.StatusCreated || r.Body["revision"] != 2.0 {
		t.Errorf("version of a retired recipe: %d %s", r.Status, r.Raw)
	}
	if n := e.count(`SELECT count(*) FROM recipes WHERE id = $1 AND status = 'retired' AND version = 1`, legacy); n != 1 {
		t.Errorf("the retired source changed")
	}
	// The seeded draft (the engineer's), once submitted, approves and its
	// signature covers its seeded parameters, byte for byte after a round
	// trip through jsonb.
	optical := e.recipeID("demo-lab", "Optical Transmission Spectrum")
	if r := e.call(http.MethodPost, "/api/lims/recipes/"+optical+"/submit", e.token("engineer@demo.lab", "eng123"), nil); r.Status != http.StatusOK {
		t.Fatalf("submit the seeded draft: %d %s", r.Status, r.Raw)
	}
	r := e.call(http.MethodPost, "/api/lims/recipes/"+optical+"/approve", pi, map[string]any{"password": "pi123"})
	if r.Status != http.StatusOK || !strings.Contains(string(r.Raw), `"matches":true`) {
		t.Errorf("approve the seeded draft: %d %s", r.Status, r.Raw)
	}
}

func TestRecipeRoles(t *testing.T) {
	e := newAPIEnv(t)
	for _, tc := range []struct {
		user, password string
		method         string
		want           int
	}{
		{"tech@demo.lab", "tech123", http.MethodPost, http.StatusForbidden},
		{"viewer@demo.lab", "view123", http.MethodPost, http.StatusForbidden},
		{"viewer@demo.lab", "view123", http.MethodGet, http.StatusOK},
		{"tech@demo.lab", "tech123", http.MethodGet, http.StatusOK},
		{"engineer@demo.lab", "eng123", http.MethodPost, http.StatusCreated},
		{"admin@demo.lab", "admin123", http.MethodPost, http.StatusCreated},
	} {
		t.Run(tc.user+" "+tc.method, func(t *testing.T) {
			var body any
			if tc.method == http.MethodPost {
				body = map[string]any{"name": "By " + tc.user}
			}
			r := e.call(tc.method, "/api/lims/recipes", e.token(tc.user, tc.password), body)
			if r.Status != tc.want {
				t.Fatalf("%d %s", r.Status, r.Raw)
			}
		})
	}
	viewer := e.token("viewer@demo.lab", "view123")
	draft := e.recipeID("demo-lab", "Optical Transmission Spectrum")
	for _, path := range []string{"/versions", "/retire", "/approve", "/submit", "/withdraw", "/reject"} {
		if r := e.call(http.MethodPost, "/api/lims/recipes/"+draft+path, viewer, map[string]any{"password": "view123"}); r.Status != http.StatusForbidden {
			t.Errorf("viewer POST %s: %d %s", path, r.Status, r.Raw)
		}
	}
	if r := e.call(http.MethodPut, "/api/lims/recipes/"+draft, viewer, map[string]any{"name": "x", "version": 1}); r.Status != http.StatusForbidden {
		t.Errorf("viewer PUT: %d %s", r.Status, r.Raw)
	}
}

func TestRecipeInvalid(t *testing.T) {
	e := newAPIEnv(t)
	eng := e.token("engineer@demo.lab", "eng123")
	param := func(name string, min, max any) map[string]any {
		return map[string]any{"name": name, "unit": "V", "min": min, "max": max}
	}
	for _, tc := range []struct {
		name  string
		path  string
		body  map[string]any
		field string
	}{
		{"no name", "", map[string]any{"description": "x"}, "name"},
		{"empty name", "", map[string]any{"name": ""}, "name"},
		{"max below min", "", map[string]any{"name": "r", "parameters": []any{param("a", 0, 1), param("b", 0, 1), param("c", 5, 1)}}, "parameters[2].max"},
		{"name declared twice", "", map[string]any{"name": "r", "parameters": []any{param("a", 0, 1), param("a", 0, 2)}}, "parameters[1].name"},
		{"default outside the range", "", map[string]any{"name": "r", "parameters": []any{map[string]any{"name": "a", "unit": "V", "min": 0, "max": 1, "default": 3}}}, "parameters[0].default"},
		{"parameter name not an identifier", "", map[string]any{"name": "r", "parameters": []any{param("1 bad", 0, 1)}}, "parameters[0].name"},
		{"min not a number", "", map[string]any{"name": "r", "parameters": []any{param("a", "low", 1)}}, "parameters[0].min"},
		{"instrument kind twice", "", map[string]any{"name": "r", "instrument_kinds": []string{"SMU", "smu"}}, "instrument_kinds[1]"},
		{"empty instrument kind", "", map[string]any{"name": "r", "instrument_kinds": []string{" "}}, "instrument_kinds[0]"},
		{"status is not written", "", map[string]any{"name": "r", "status": "approved"}, ""},
		{"organization is not written", "", map[string]any{"name": "r", "organization_id": uuid.NewString()}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.call(http.MethodPost, "/api/lims/recipes"+tc.path, eng, tc.body)
			if r.Status != http.StatusUnprocessableEntity || (tc.field != "" && !methodsProblemNames(r, tc.field)) {
				t.Fatalf("want 422 naming %q: %d %s", tc.field, r.Status, r.Raw)
			}
		})
	}
	for _, q := range []struct{ query, field string }{
		{"limit=500", "query.limit"}, {"status=pending", "query.status"}, {"lineage_id=nope", "query.lineage_id"}, {"cursor=%21%21", "cursor"},
	} {
		if r := e.call(http.MethodGet, "/api/lims/recipes?"+q.query, eng, nil); r.Status != http.StatusUnprocessableEntity || !methodsProblemNames(r, q.field) {
			t.Errorf("%s: %d %s", q.query, r.Status, r.Raw)
		}
	}
	if n := e.count(`SELECT count(*) FROM recipes`); n != 6 {
		t.Errorf("invalid requests wrote recipes: %d rows", n)
	}
	missing := "/api/lims/recipes/" + uuid.NewString()
	if r := e.call(http.MethodGet, missing, eng, nil); r.Status != http.StatusNotFound {
		t.Errorf("missing: %d %s", r.Status, r.Raw)
	}
	// A soft-deleted recipe is gone.
	draft := e.recipeID("demo-lab", "Optical Transmission Spectrum")
	e.sql(`UPDATE recipes SET deleted_at = now() WHERE id = $1`, draft)
	if r := e.call(http.MethodGet, "/api/lims/recipes/"+draft, eng, nil); r.Status != http.StatusNotFound {
		t.Errorf("deleted: %d %s", r.Status, r.Raw)
	}
}

func TestRecipeListPages(t *testing.T) {
	e := newAPIEnv(t)
	eng := e.token("engineer@demo.lab", "eng123")
	for i := 0; i < 4; i++ {
		if r := e.call(http.MethodPost, "/api/lims/recipes", eng, map[string]any{"name": "Paged " + string(rune('A'+i))}); r.Status != http.StatusCreated {
			t.Fatalf("create: %d %s", r.Status, r.Raw)
		}
	}
	var names []string
	for cursor, pages := "", 0; ; pages++ {
		r := e.call(http.MethodGet, "/api/lims/recipes?q=paged&limit=3&cursor="+cursor, eng, nil)
		for _, it := range r.Body["items"].([]any) {
			names = append(names, it.(map[string]any)["name"].(string))
		}
		next, _ := r.Body["next_cursor"].(string)
		if next == "" || pages > 3 {
			break
		}
		cursor = next
	}
	if strings.Join(names, ",") != "Paged D,Paged C,Paged B,Paged A" {
		t.Errorf("pages, newest first: %v", names)
	}
}

// TestRecipeConcurrentVersions starts two new versions of one approved
// recipe at once: exactly one succeeds, the other is 409.
func TestRecipeConcurrentVersions(t *testing.T) {
	e := newAPIEnv(t)
	eng := e.token("engineer@demo.lab", "eng123")
	path := e.ts.URL + "/api/lims/recipes/" + e.recipeID("demo-lab", "IV Sweep") + "/versions"
	statuses := make([]int, 4)
	var wg sync.WaitGroup
	for i := range statuses {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequest(http.MethodPost, path, nil)
			req.Header.Set("Authorization", "Bearer "+eng)
			if resp, err := http.DefaultClient.Do(req); err == nil {
				statuses[i] = resp.StatusCode
				resp.Body.Close()
			}
		}()
	}
	wg.Wait()
	created := 0
	for _, s := range statuses {
		switch s {
		case http.StatusCreated:
			created++
		case http.StatusConflict:
		default:
			t.Errorf("status %d", s)
		}
	}
	if created != 1 || e.count(`SELECT count(*) FROM recipes WHERE name = 'IV Sweep' AND revision = 2`) != 1 {
		t.Errorf("statuses %v", statuses)
	}
}
