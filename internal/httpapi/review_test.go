package httpapi

import (
	"net/http"
	"strings"
	"testing"
)

// reviewItems is the review queue as caller sees it: kind and title of
// each item, oldest first, and the items themselves.
func (e *apiEnv) reviewItems(caller string) ([]string, []map[string]any) {
	e.t.Helper()
	r := e.call(http.MethodGet, "/api/lims/review", caller, nil)
	if r.Status != http.StatusOK {
		e.t.Fatalf("review queue: %d %s", r.Status, r.Raw)
	}
	var names []string
	var items []map[string]any
	for _, x := range r.Body["items"].([]any) {
		m := x.(map[string]any)
		names = append(names, m["kind"].(string)+":"+m["title"].(string))
		items = append(items, m)
	}
	return names, items
}

// The review life through the API: an engineer submits, the queue lists
// it for PIs and admins only, a submitted draft does not change, the
// submitter withdraws, a reviewer rejects with a reason, an author never
// approves their own revision while the organization requires independent
// approval and may once it does not.
func TestReviewQueueAndSeparationOfDuties(t *testing.T) {
	e := newAPIEnv(t)
	eng := e.token("engineer@demo.lab", "eng123")
	pi := e.token("pi@demo.lab", "pi123")
	admin := e.token("admin@demo.lab", "admin123")
	viewer := e.token("viewer@demo.lab", "view123")
	otherAdmin := e.token("admin@test.org", "admin123")

	if names, _ := e.reviewItems(pi); len(names) != 0 {
		t.Fatalf("the seed's queue: %v", names)
	}
	// The engineer drafts and submits a recipe; the PI drafts and submits an SOP.
	rec := e.call(http.MethodPost, "/api/lims/recipes", eng, map[string]any{"name": "Hall effect", "instrument_kinds": []string{"SMU"}})
	sop := e.call(http.MethodPost, "/api/lims/sops", pi, map[string]any{"code": "SOP-HALL-001", "title": "Hall measurement"})
	if rec.Status != http.StatusCreated || sop.Status != http.StatusCreated {
		t.Fatalf("drafts: %d %s / %d %s", rec.Status, rec.Raw, sop.Status, sop.Raw)
	}
	recPath, sopPath := "/api/lims/recipes/"+rec.str("id"), "/api/lims/sops/"+sop.str("id")
	// Approving a plain draft: 409, it must be submitted first.
	if r := e.call(http.MethodPost, recPath+"/approve", pi, map[string]any{"password": "pi123"}); r.Status != http.StatusConflict ||
		!strings.Contains(r.str("detail"), "submit") {
		t.Errorf("approve a plain draft: %d %s", r.Status, r.Raw)
	}
	if r := e.call(http.MethodPost, recPath+"/submit", eng, nil); r.Status != http.StatusOK || r.Body["submitted_at"] == nil ||
		!sameActions(r, "withdraw") {
		t.Fatalf("submit the recipe: %d %s", r.Status, r.Raw)
	}
	if r := e.call(http.MethodPost, recPath+"/submit", eng, nil); r.Status != http.StatusConflict {
		t.Errorf("submit twice: %d %s", r.Status, r.Raw)
	}
	if r := e.call(http.MethodPost, sopPath+"/submit", pi, nil); r.Status != http.StatusOK {
		t.Fatalf("submit the SOP: %d %s", r.Status, r.Raw)
	}
	// A submitted draft does not change (nor takes files).
	if r := e.call(http.MethodPut, recPath, eng, map[string]any{"name": "Changed", "version": 2}); r.Status != http.StatusConflict ||
		!strings.Contains(r.str("detail"), "withdraw") {
		t.Errorf("edit a submitted draft: %d %s", r.Status, r.Raw)
	}

	// The queue: oldest first, for PIs and admins, with author and kind.
	names, items := e.reviewItems(pi)
	if strings.Join(names, "|") != "recipe:Hall effect|sop:SOP-HALL-001 Hall measurement" {
		t.Fatalf("PI's queue: %v", names)
	}
	if items[0]["author_name"] == "" || items[0]["author_id"] != e.userID("engineer@demo.lab") || items[0]["submitted_at"] == nil ||
		items[0]["can_approve"] != true || items[1]["can_approve"] != false || items[1]["id"] != sop.str("id") {
		t.Errorf("PI's queue items: %v", items)
	}
	if _, items := e.reviewItems(admin); len(items) != 2 || items[1]["can_approve"] != true {
		t.Errorf("admin's queue: %v", items)
	}
	for name, who := range map[string]string{"engineer": eng, "viewer": viewer} {
		if r := e.call(http.MethodGet, "/api/lims/review", who, nil); r.Status != http.StatusForbidden {
			t.Errorf("%s reads the queue: %d", name, r.Status)
		}
	}
	// Another organization's queue lists none of it, and its ids are 404 there.
	if names, _ := e.reviewItems(otherAdmin); len(names) != 0 {
		t.Errorf("test-org's queue: %v", names)
	}
	if r := e.call(http.MethodPost, recPath+"/reject", otherAdmin, map[string]any{"reason": "x"}); r.Status != http.StatusNotFound {
		t.Errorf("test-org rejects demo-lab's: %d %s", r.Status, r.Raw)
	}

	// Separation of duties: the PI authored the SOP and may not approve
	// it — not offered, and refused naming the rule; nothing is signed.
	if r := e.call(http.MethodGet, sopPath, pi, nil); !sameActions(r, "withdraw", "reject") {
		t.Errorf("the author's actions: %s", r.Raw)
	}
	if r := e.call(http.MethodPost, sopPath+"/approve", pi, map[string]any{"password": "pi123"}); r.Status != http.StatusForbidden ||
		!strings.Contains(r.str("detail"), "require_independent_approval") {
		t.Errorf("self-approval: %d %s", r.Status, r.Raw)
	}
	if n := e.count(`SELECT count(*) FROM signatures WHERE sop_id = $1`, sop.str("id")); n != 0 {
		t.Errorf("a refused self-approval signed (%d)", n)
	}
	// Editing makes one an author too: the admin edits the SOP (after its
	// author withdrew it) and may no longer approve it.
	if r := e.call(http.MethodPost, sopPath+"/withdraw", admin, nil); r.Status != http.StatusForbidden {
		t.Errorf("withdraw another's submission: %d %s", r.Status, r.Raw)
	}
	if r := e.call(http.MethodPost, sopPath+"/withdraw", pi, nil); r.Status != http.StatusOK || r.Body["submitted_at"] != nil {
		t.Fatalf("withdraw: %d %s", r.Status, r.Raw)
	}
	if r := e.call(http.MethodPut, sopPath, admin, map[string]any{"code": "SOP-HALL-001", "title": "Hall measurement, 4 contacts", "version": 3}); r.Status != http.StatusOK ||
		r.str("edited_by") != e.userID("admin@demo.lab") {
		t.Fatalf("admin edits: %d %s", r.Status, r.Raw)
	}
	if r := e.call(http.MethodPost, sopPath+"/submit", pi, nil); r.Status != http.StatusOK {
		t.Fatalf("resubmit: %d %s", r.Status, r.Raw)
	}
	if r := e.call(http.MethodPost, sopPath+"/approve", admin, map[string]any{"password": "admin123"}); r.Status != http.StatusForbidden {
		t.Errorf("the editor approves: %d %s", r.Status, r.Raw)
	}

	// Reject with a reason: back to draft, out of the queue, the reason shown.
	if r := e.call(http.MethodPost, recPath+"/reject", pi, map[string]any{"reason": " "}); r.Status != http.StatusUnprocessableEntity ||
		!methodsProblemNames(r, "reason") {
		t.Errorf("reject without a reason: %d %s", r.Status, r.Raw)
	}
	if r := e.call(http.MethodPost, recPath+"/reject", eng, map[string]any{"reason": "mine"}); r.Status != http.StatusForbidden {
		t.Errorf("an engineer rejects: %d %s", r.Status, r.Raw)
	}
	rej := e.call(http.MethodPost, recPath+"/reject", pi, map[string]any{"reason": "Add the magnetic field range."})
	if rej.Status != http.StatusOK || rej.str("review_note") != "Add the magnetic field range." || rej.Body["submitted_at"] != nil ||
		rej.str("rejected_by") != e.userID("pi@demo.lab") || rej.str("status") != "draft" {
		t.Fatalf("reject: %d %s", rej.Status, rej.Raw)
	}
	if names, _ := e.reviewItems(pi); strings.Join(names, "|") != "sop:SOP-HALL-001 Hall measurement, 4 contacts" {
		t.Errorf("queue after the rejection: %v", names)
	}
	if n := e.count(`SELECT count(*) FROM audit_log WHERE table_name = 'recipes' AND row_id = $1 AND action = 'UPDATE'
		AND new_values ->> 'review_note' = 'Add the magnetic field range.'`, rec.str("id")); n != 1 {
		t.Errorf("the audit log holds %d records of the rejection", n)
	}
	// The engineer edits, resubmits; the PI approves from the queue.
	if r := e.call(http.MethodPut, recPath, eng, map[string]any{"name": "Hall effect", "description": "0.1–1 T.", "instrument_kinds": []string{"SMU"}, "version": 3}); r.Status != http.StatusOK {
		t.Fatalf("edit after rejection: %d %s", r.Status, r.Raw)
	}
	if r := e.call(http.MethodPost, recPath+"/submit", eng, nil); r.Status != http.StatusOK {
		t.Fatalf("resubmit the recipe: %d %s", r.Status, r.Raw)
	}
	_, items = e.reviewItems(pi)
	queued := ""
	for _, x := range items {
		if x["kind"] == "recipe" {
			queued = x["id"].(string)
		}
	}
	if queued != rec.str("id") {
		t.Fatalf("the resubmitted recipe is not queued: %v", items)
	}
	if r := e.call(http.MethodPost, "/api/lims/recipes/"+queued+"/approve", eng, map[string]any{"password": "eng123"}); r.Status != http.StatusForbidden {
		t.Errorf("the engineer approves: %d %s", r.Status, r.Raw)
	}
	if r := e.call(http.MethodPost, "/api/lims/recipes/"+queued+"/approve", pi, map[string]any{"password": "pi123", "comment": "From the queue."}); r.Status != http.StatusOK {
		t.Fatalf("approve from the queue: %d %s", r.Status, r.Raw)
	}

	// With the setting off, an author approves their own.
	st := e.call(http.MethodGet, "/api/admin/organization", admin, nil)
	if st.Body["require_independent_approval"] != true {
		t.Fatalf("the default: %s", st.Raw)
	}
	off := map[string]any{"name": st.Body["name"], "calibration_warning_days": st.Body["calibration_warning_days"],
		"access_token_ttl_seconds": st.Body["access_token_ttl_seconds"], "refresh_token_ttl_seconds": st.Body["refresh_token_ttl_seconds"],
		"version": st.Body["version"], "require_independent_approval": false}
	if r := e.call(http.MethodPut, "/api/admin/organization", admin, off); r.Status != http.StatusOK || r.Body["require_independent_approval"] != false {
		t.Fatalf("turn it off: %d %s", r.Status, r.Raw)
	}
	if r := e.call(http.MethodPost, sopPath+"/approve", admin, map[string]any{"password": "admin123"}); r.Status != http.StatusOK {
		t.Errorf("self-approval with the rule off: %d %s", r.Status, r.Raw)
	}
	// A PUT that does not name the setting leaves it as it is.
	st = e.call(http.MethodGet, "/api/admin/organization", admin, nil)
	delete(off, "require_independent_approval")
	off["version"] = st.Body["version"]
	if r := e.call(http.MethodPut, "/api/admin/organization", admin, off); r.Status != http.StatusOK || r.Body["require_independent_approval"] != false {
		t.Errorf("a PUT without the setting: %d %s", r.Status, r.Raw)
	}
}

// sameActions reports whether a revision answer offers exactly want.
func sameActions(r response, want ...string) bool {
	got, _ := r.Body["actions"].([]any)
	if len(got) != len(want) {
		return false
	}
	for i := range want {
		if got[i] != want[i] {
			return false
		}
	}
	return true
}
