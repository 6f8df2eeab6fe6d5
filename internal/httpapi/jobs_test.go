package httpapi

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/spectra-lab/spectra/internal/jobs"
	"github.com/spectra-lab/spectra/internal/jobs/jobstest"
)

// TestAdminJobs: demo-lab's admin sees its failing job with its error and
// the housekeeping job; test-org's admin sees the housekeeping job (its
// error hidden) and none of demo-lab's; an engineer may not list jobs.
func TestAdminJobs(t *testing.T) {
	e := newAPIEnv(t)
	c := jobstest.Start(t, e.rt, jobs.Options{Extra: jobstest.Failing(nil)})
	demo := e.orgID("demo-lab")
	if err := c.Insert(context.Background(), jobstest.FailingArgs{OrganizationID: demo, Message: "balance not levelled"}, nil); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for e.count(`SELECT count(*) FROM river_job WHERE kind = 'test_failing' AND state = 'retryable'`) != 1 ||
		e.count(`SELECT count(*) FROM river_job WHERE kind = 'prune' AND state = 'completed'`) != 1 {
		if time.Now().After(deadline) {
			t.Fatal("timed out waiting for the failed attempt and the housekeeping job")
		}
		time.Sleep(100 * time.Millisecond)
	}
	items := func(r response) []map[string]any {
		t.Helper()
		if r.Status != http.StatusOK {
			t.Fatalf("GET /api/admin/jobs: %d %s", r.Status, r.Raw)
		}
		var out []map[string]any
		for _, it := range r.Body["items"].([]any) {
			out = append(out, it.(map[string]any))
		}
		return out
	}
	byKind := func(list []map[string]any, kind string) map[string]any {
		for _, j := range list {
			if j["kind"] == kind {
				return j
			}
		}
		return nil
	}

	mine := items(e.call(http.MethodGet, "/api/admin/jobs", e.token("admin@demo.lab", "admin123"), nil))
	failing := byKind(mine, "test_failing")
	if failing == nil || failing["state"] != "retryable" || failing["last_error"] != "balance not levelled" ||
		failing["organization_id"] != demo.String() || failing["attempt"].(float64) < 1 || failing["global"] != false {
		t.Errorf("demo-lab's failing job as listed: %v", failing)
	}
	if p := byKind(mine, "prune"); p == nil || p["state"] != "completed" || p["global"] != true || p["organization_id"] != nil {
		t.Errorf("demo-lab's list, the housekeeping job: %v", p)
	}

	theirs := items(e.call(http.MethodGet, "/api/admin/jobs?limit=200", e.token("admin@test.org", "admin123"), nil))
	if byKind(theirs, "prune") == nil {
		t.Errorf("test-org's list lacks the housekeeping job: %v", theirs)
	}
	other := e.orgID("test-org")
	for _, j := range theirs {
		if j["global"] == true {
			if j["organization_id"] != nil || j["last_error"] != nil {
				t.Errorf("a global job shows an organization or an error: %v", j)
			}
		} else if j["organization_id"] != other.String() {
			t.Errorf("test-org's admin sees another organization's job: %v", j)
		}
	}
	if r := e.call(http.MethodGet, "/api/admin/jobs", e.token("engineer@demo.lab", "eng123"), nil); r.Status != http.StatusForbidden {
		t.Errorf("an engineer lists jobs: %d %s", r.Status, r.Raw)
	}
	if r := e.call(http.MethodGet, "/api/admin/jobs?limit=0", e.token("admin@demo.lab", "admin123"), nil); r.Status != http.StatusUnprocessableEntity {
		t.Errorf("limit=0: %d %s", r.Status, r.Raw)
	}
}
