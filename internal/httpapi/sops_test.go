package httpapi

import (
	"context"
	"encoding/hex"
	"net/http"
	"testing"

	"github.com/google/uuid"

	"github.com/spectra-lab/spectra/internal/spectra"
)

func init() {
	crossOrgCases = append(crossOrgCases, func(e *apiEnv, demoAdmin string) map[string]crossOrgCase {
		// The seed's SOPs are approved; a draft to edit and approve comes
		// from demo-lab's own API.
		d := e.call(http.MethodPost, "/api/lims/sops", demoAdmin, map[string]any{"code": "SOP-CROSS-001", "title": "Cross-organization draft"})
		if d.Status != http.StatusCreated {
			e.t.Fatalf("create a demo-lab SOP draft: %d %s", d.Status, d.Raw)
		}
		draft := map[string]string{"id": d.str("id")}
		approved := map[string]string{"id": e.sopID("demo-lab", "SOP-IV-001")}
		return map[string]crossOrgCase{
			"GET /api/lims/sops/{id}":           {ids: approved},
			"PUT /api/lims/sops/{id}":           {ids: draft, body: map[string]any{"code": "SOP-CROSS-001", "title": "Taken over", "version": 1}},
			"POST /api/lims/sops/{id}/submit":   {ids: draft},
			"POST /api/lims/sops/{id}/withdraw": {ids: draft},
			"POST /api/lims/sops/{id}/reject":   {ids: draft, body: map[string]any{"reason": "not yours"}},
			"POST /api/lims/sops/{id}/approve":  {ids: draft, body: map[string]any{"comment": "fine", "password": "admin123"}},
			"POST /api/lims/sops/{id}/retire":   {ids: approved},
			"POST /api/lims/sops/{id}/versions": {ids: approved},
			"GET /api/lims/sops/{id}/approvals": {ids: approved},
		}
	})
}

// sopID is the id of the organization's newest SOP revision with code.
func (e *apiEnv) sopID(org, code string) string {
	e.t.Helper()
	var id uuid.UUID
	if err := e.db.Pool().QueryRow(context.Background(), `SELECT s.id FROM sops s JOIN organizations o ON o.id = s.organization_id
		WHERE o.slug = $1 AND s.code = $2 ORDER BY s.revision DESC LIMIT 1`, org, code).Scan(&id); err != nil {
		e.t.Fatalf("SOP %s of %s: %v", code, org, err)
	}
	return id.String()
}

func TestSOPLifecycle(t *testing.T) {
	e := newAPIEnv(t)
	eng := e.token("engineer@demo.lab", "eng123")
	pi := e.token("pi@demo.lab", "pi123")
	admin := e.token("admin@demo.lab", "admin123")
	base := "/api/lims/sops"

	created := e.call(http.MethodPost, base, eng, map[string]any{"code": "SOP-SEM-001", "title": "SEM imaging", "body_markdown": "# SEM\n\n1. Vent.\n"})
	if created.Status != http.StatusCreated || created.str("status") != "draft" || created.Body["revision"] != 1.0 || created.Header.Get("ETag") != `"1"` {
		t.Fatalf("create: %d %s", created.Status, created.Raw)
	}
	id := created.str("id")
	path := base + "/" + id
	if r := e.call(http.MethodPost, base, eng, map[string]any{"code": "SOP-IV-001", "title": "Duplicate"}); r.Status != http.StatusConflict || !methodsProblemNames(r, "code") {
		t.Errorf("a taken code: %d %s", r.Status, r.Raw)
	}

	edit := map[string]any{"code": "SOP-SEM-001", "title": "SEM imaging", "body_markdown": "# SEM\n\n1. Vent.\n2. Load.\n"}
	if r := e.call(http.MethodPut, path, eng, edit, "If-Match", `"1"`); r.Status != http.StatusOK || r.Header.Get("ETag") != `"2"` {
		t.Fatalf("edit: %d %s", r.Status, r.Raw)
	}
	if r := e.call(http.MethodPut, path, eng, edit, "If-Match", `"1"`); r.Status != http.StatusPreconditionFailed {
		t.Errorf("stale If-Match: %d %s", r.Status, r.Raw)
	}
	if r := e.call(http.MethodPut, path, eng, map[string]any{"code": "SOP-SEM-001", "title": "Lost", "version": 1}); r.Status != http.StatusConflict {
		t.Errorf("stale version: %d %s", r.Status, r.Raw)
	}
	if r := e.call(http.MethodPut, path, eng, map[string]any{"code": "SOP-XRD-001", "title": "Steal a code", "version": 2}); r.Status != http.StatusConflict || !methodsProblemNames(r, "code") {
		t.Errorf("rename to a taken code: %d %s", r.Status, r.Raw)
	}

	// The engineer submits it for review.
	if r := e.call(http.MethodPost, path+"/submit", eng, nil, "If-Match", `"2"`); r.Status != http.StatusOK || r.str("submitted_by") != e.userID("engineer@demo.lab") {
		t.Fatalf("submit: %d %s", r.Status, r.Raw)
	}

	// Approval: engineers may not; a wrong password is 401 and counted.
	if r := e.call(http.MethodPost, path+"/approve", eng, map[string]any{"password": "eng123"}); r.Status != http.StatusForbidden {
		t.Errorf("engineer approves: %d %s", r.Status, r.Raw)
	}
	failed := e.count(`SELECT count(*) FROM login_attempts WHERE username = 'admin@demo.lab' AND NOT succeeded`)
	if r := e.call(http.MethodPost, path+"/approve", admin, map[string]any{"password": "pi123"}); r.Status != http.StatusUnauthorized || !methodsProblemNames(r, "password") {
		t.Errorf("wrong password: %d %s", r.Status, r.Raw)
	}
	if n := e.count(`SELECT count(*) FROM login_attempts WHERE username = 'admin@demo.lab' AND NOT succeeded`); n != failed+1 {
		t.Errorf("failed attempts %d, want %d", n, failed+1)
	}
	approved := e.call(http.MethodPost, path+"/approve", admin, map[string]any{"comment": "Released.", "password": "admin123"})
	if approved.Status != http.StatusOK {
		t.Fatalf("approve: %d %s", approved.Status, approved.Raw)
	}
	out := methodsDecode[struct {
		SOP      spectra.SOP
		Approval spectra.SOPApproval
	}](t, approved)
	want, _ := spectra.SignatureDigest(spectra.SchemeV2, spectra.SOPContent{ID: out.SOP.ID, LineageID: out.SOP.LineageID, Revision: 1,
		Code: "SOP-SEM-001", Title: "SEM imaging", BodyMarkdown: "# SEM\n\n1. Vent.\n2. Load.\n"})
	if out.SOP.Status != spectra.MethodStatusApproved || out.Approval.ApproverRole != spectra.RoleAdmin || out.Approval.Comment != "Released." ||
		out.Approval.Signature == nil || out.Approval.Signature.ContentSHA256 != hex.EncodeToString(want[:]) || !out.Approval.Signature.Matches ||
		out.Approval.Signature.Scheme != spectra.SchemeV2 {
		t.Errorf("approved: %s", approved.Raw)
	}
	if n := e.count(`SELECT count(*) FROM signatures s JOIN sop_approvals a ON a.signature_id = s.id
		WHERE s.sop_id = $1 AND s.meaning = 'approved' AND s.signer_role = 'admin' AND s.content_sha256 = $2`, id, want[:]); n != 1 {
		t.Errorf("signature rows: %d", n)
	}
	if n := e.count(`SELECT count(*) FROM audit_log WHERE table_name = 'sop_approvals' AND action = 'INSERT' AND row_id = $1`, out.Approval.ID); n != 1 {
		t.Errorf("the audit log holds %d records of the approval", n)
	}
	if r := e.call(http.MethodGet, path+"/approvals", eng, nil); len(r.Body["items"].([]any)) != 1 {
		t.Errorf("approvals: %s", r.Raw)
	}
	if r := e.call(http.MethodPost, path+"/approve", pi, map[string]any{"password": "pi123"}); r.Status != http.StatusConflict {
		t.Errorf("approve twice: %d %s", r.Status, r.Raw)
	}
	if r := e.call(http.MethodPut, path, eng, map[string]any{"code": "SOP-SEM-001", "title": "Changed", "version": 4}); r.Status != http.StatusConflict {
		t.Errorf("edit an approved SOP: %d %s", r.Status, r.Raw)
	}

	// Revision 2: same lineage and code; its code cannot change.
	v2 := e.call(http.MethodPost, path+"/versions", eng, nil)
	if v2.Status != http.StatusCreated || v2.Body["revision"] != 2.0 || v2.str("code") != "SOP-SEM-001" || v2.str("lineage_id") != created.str("lineage_id") {
		t.Fatalf("new version: %d %s", v2.Status, v2.Raw)
	}
	if r := e.call(http.MethodPost, path+"/versions", eng, nil); r.Status != http.StatusConflict {
		t.Errorf("second open draft: %d %s", r.Status, r.Raw)
	}
	if r := e.call(http.MethodPut, base+"/"+v2.str("id"), eng, map[string]any{"code": "SOP-SEM-002", "title": "t", "version": 1}); r.Status != http.StatusUnprocessableEntity || !methodsProblemNames(r, "code") {
		t.Errorf("change the code of revision 2: %d %s", r.Status, r.Raw)
	}
	if r := e.call(http.MethodGet, base+"?code=SOP-SEM-001", eng, nil); len(r.Body["items"].([]any)) != 2 {
		t.Errorf("list by code: %s", r.Raw)
	}

	// Retirement.
	if r := e.call(http.MethodPost, path+"/retire", eng, nil); r.Status != http.StatusForbidden {
		t.Errorf("engineer retires: %d %s", r.Status, r.Raw)
	}
	if r := e.call(http.MethodPost, path+"/retire", pi, nil); r.Status != http.StatusOK || r.str("status") != "retired" {
		t.Errorf("retire: %d %s", r.Status, r.Raw)
	}
	if r := e.call(http.MethodPost, path+"/retire", pi, nil); r.Status != http.StatusConflict {
		t.Errorf("retire twice: %d %s", r.Status, r.Raw)
	}
	if r := e.call(http.MethodPost, base+"/"+v2.str("id")+"/retire", pi, nil); r.Status != http.StatusConflict {
		t.Errorf("retire a draft: %d %s", r.Status, r.Raw)
	}
}

func TestSOPReadAndInvalid(t *testing.T) {
	e := newAPIEnv(t)
	viewer := e.token("viewer@demo.lab", "view123")
	tech := e.token("tech@demo.lab", "tech123")
	eng := e.token("engineer@demo.lab", "eng123")
	list := e.call(http.MethodGet, "/api/lims/sops?status=approved&q=xrd", viewer, nil)
	if items, _ := list.Body["items"].([]any); list.Status != http.StatusOK || len(items) != 1 || items[0].(map[string]any)["code"] != "SOP-XRD-001" {
		t.Errorf("viewer lists: %d %s", list.Status, list.Raw)
	}
	if r := e.call(http.MethodGet, "/api/lims/sops/"+e.sopID("demo-lab", "SOP-IV-001"), tech, nil); r.Status != http.StatusOK || r.str("title") != "IV Characterization" {
		t.Errorf("technician reads: %d %s", r.Status, r.Raw)
	}
	for _, tok := range []string{viewer, tech} {
		if r := e.call(http.MethodPost, "/api/lims/sops", tok, map[string]any{"code": "SOP-NO-1", "title": "No"}); r.Status != http.StatusForbidden {
			t.Errorf("below engineer creates: %d %s", r.Status, r.Raw)
		}
	}
	for _, tc := range []struct {
		name  string
		body  map[string]any
		field string
	}{
		{"no code", map[string]any{"title": "t"}, "code"},
		{"code with spaces", map[string]any{"code": "SOP 1", "title": "t"}, "code"},
		{"no title", map[string]any{"code": "SOP-1"}, "title"},
		{"status is not written", map[string]any{"code": "SOP-1", "title": "t", "status": "approved"}, ""},
		{"revision is not written", map[string]any{"code": "SOP-1", "title": "t", "revision": 7}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.call(http.MethodPost, "/api/lims/sops", eng, tc.body)
			if r.Status != http.StatusUnprocessableEntity || (tc.field != "" && !methodsProblemNames(r, tc.field)) {
				t.Fatalf("want 422 naming %q: %d %s", tc.field, r.Status, r.Raw)
			}
		})
	}
	if n := e.count(`SELECT count(*) FROM sops`); n != 4 {
		t.Errorf("invalid requests wrote SOPs: %d rows", n)
	}
	if r := e.call(http.MethodGet, "/api/lims/sops/"+uuid.NewString(), eng, nil); r.Status != http.StatusNotFound {
		t.Errorf("missing: %d %s", r.Status, r.Raw)
	}
}
