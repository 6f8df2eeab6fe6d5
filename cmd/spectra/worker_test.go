package main

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/spectra-lab/spectra/internal/postgres/pgtest"
)

// TestWorker runs `spectra worker` as a run-time role an operator made
// (only the documented CREATE ROLE and GRANT): the worker has the owner
// grant it the job queue, works the housekeeping job, and stops cleanly.
func TestWorker(t *testing.T) {
	ctx := context.Background()
	ownerURL := pgtest.NewDatabase(t, false)
	admin, err := pgx.Connect(ctx, pgtest.AdminURL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close(context.Background()) })
	role := fmt.Sprintf("spectra_worker_%d", time.Now().UnixNano())
	for _, sql := range []string{
		`CREATE ROLE ` + role + ` LOGIN PASSWORD 'worker-pw' NOINHERIT NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS`,
		`GRANT spectra_app, spectra_auth TO ` + role,
	} {
		if _, err := admin.Exec(ctx, sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	u, err := url.Parse(ownerURL)
	if err != nil {
		t.Fatal(err)
	}
	inspect, err := pgx.Connect(ctx, pgtest.InspectorURL(ownerURL))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// Before the database is dropped (cleanups run last in, first
		// out): revoke what the role holds there, so that it can be dropped.
		bg := context.Background()
		for _, sql := range []string{
			`REVOKE ALL ON river_job, river_leader, river_queue, river_notification, river_migration FROM ` + role,
			`REVOKE ALL ON SEQUENCE river_job_id_seq, river_notification_id_seq FROM ` + role,
		} {
			if _, err := inspect.Exec(bg, sql); err != nil {
				t.Errorf("%s: %v", sql, err)
			}
		}
		inspect.Close(bg)
		if _, err := admin.Exec(bg, `DROP ROLE `+role); err != nil {
			t.Errorf("drop role %s: %v", role, err)
		}
	})
	app := *u
	app.User = url.UserPassword(role, "worker-pw")
	vars := map[string]string{"SPECTRA_DATABASE_URL": ownerURL, "SPECTRA_APP_DATABASE_URL": app.String()}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	out, errOut := &syncBuffer{}, &syncBuffer{}
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"worker"}, envOf(vars), strings.NewReader(""), out, errOut) }()
	deadline := time.Now().Add(60 * time.Second)
	for {
		var n int
		if err := inspect.QueryRow(ctx, `SELECT count(*) FROM river_job WHERE kind = 'prune' AND state = 'completed'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n == 1 {
			break
		}
		select {
		case err := <-done:
			t.Fatalf("worker exited: %v\n%s\n%s", err, out.String(), errOut.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("the worker did not complete the housekeeping job\n%s\n%s", out.String(), errOut.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	if !strings.Contains(out.String(), "spectra worker running") {
		t.Errorf("stdout: %q", out.String())
	}
	var granted bool
	if err := inspect.QueryRow(ctx, `SELECT has_table_privilege($1, 'river_job', 'UPDATE')`, role).Scan(&granted); err != nil || !granted {
		t.Errorf("the worker's role holds UPDATE on river_job: %v (%v)", granted, err)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("worker returned %v after cancel\n%s", err, errOut.String())
		}
	case <-time.After(60 * time.Second):
		t.Fatal("worker did not stop within 60 s of cancel")
	}
}
