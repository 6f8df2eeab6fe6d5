package jobs_test

import (
	"context"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/spectra-lab/spectra/internal/config"
	"github.com/spectra-lab/spectra/internal/jobs"
	"github.com/spectra-lab/spectra/internal/jobs/jobstest"
	"github.com/spectra-lab/spectra/internal/mail"
	"github.com/spectra-lab/spectra/internal/mail/mailpittest"
	"github.com/spectra-lab/spectra/internal/postgres"
	"github.com/spectra-lab/spectra/internal/postgres/pgtest"
	"github.com/spectra-lab/spectra/internal/spectra"
)

func mailer(t *testing.T, host string, port int) *mail.Mailer {
	t.Helper()
	m, err := mail.New(config.SMTP{Host: host, Port: port, From: "lab@demo.lab", TLS: "none"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func tenantOf(t *testing.T, in *postgres.DB, email string, role spectra.Role) postgres.Tenant {
	t.Helper()
	return postgres.Tenant{OrgID: orgID(t, in, "demo-lab"), UserID: postgres.SeedID("user", email), Role: role, Auth: "password"}
}

// noDuplicateEmailJobs: every send_email job has its own key.
func noDuplicateEmailJobs(t *testing.T, in *postgres.DB) {
	t.Helper()
	var n, keys int
	if err := in.Pool().QueryRow(context.Background(),
		`SELECT count(*), count(DISTINCT args->>'key') FROM river_job WHERE kind = 'send_email'`).Scan(&n, &keys); err != nil {
		t.Fatal(err)
	}
	if n == 0 || n != keys {
		t.Fatalf("%d e-mail jobs for %d keys", n, keys)
	}
}

// TestEmailJobsOncePerRecipient runs two instances (two working clients on
// two pools of one database), each queuing e-mails: an SPC alert's
// e-mails are send_email jobs queued in the transaction that raised the
// alert, one per recipient who wants one, each delivered once to a real
// SMTP server naming the lab, the series and the link; a change rolled
// back queues nothing; the same notification produced again on the other
// instance sends nothing more.
func TestEmailJobsOncePerRecipient(t *testing.T) {
	owner, runtime := pgtest.NewSeededDBs(t)
	in := pgtest.Inspector(t, owner)
	second := pgtest.Reopen(t, runtime, jobstest.Pooled)
	ctx := context.Background()
	srv := mailpittest.Start(t, mailpittest.Options{})
	m := mailer(t, srv.SMTPHost, srv.SMTPPort)
	jobstest.Start(t, runtime, jobs.Options{Mailer: m, PublicURL: "https://lims.example.org"})
	jobstest.Start(t, second, jobs.Options{Mailer: m, PublicURL: "https://lims.example.org"})

	eng := tenantOf(t, in, "engineer@demo.lab", spectra.RoleEngineer)
	seriesID := postgres.SeedID("demo-lab", "spc", "vth")
	s, err := runtime.Series(ctx, eng, seriesID)
	if err != nil {
		t.Fatal(err)
	}
	// The PI wants no SPC e-mail.
	pi := tenantOf(t, in, "pi@demo.lab", spectra.RolePI)
	if _, err := runtime.SetNotificationPreferences(ctx, pi, []spectra.NotificationPreference{{Kind: spectra.NotifySPCAlert, Inbox: true}}, 1); err != nil {
		t.Fatal(err)
	}
	// Rolled back: a point that raises alerts, then one naming a run that
	// does not exist; the alerts, their notifications and e-mails vanish.
	bogus := uuid.New()
	if _, _, err := second.AddPoints(ctx, eng, seriesID, []postgres.NewSPCPoint{{TS: time.Now(), Value: s.CenterLine + 10*s.Sigma},
		{TS: time.Now(), Value: s.CenterLine, RunID: &bogus}}); err == nil {
		t.Fatal("a point of a run that does not exist was accepted")
	}
	if n := count(t, in, "send_email", ""); n != 0 {
		t.Fatalf("rolled back, yet %d e-mail jobs", n)
	}
	_, alerts, err := runtime.AddPoints(ctx, eng, seriesID, []postgres.NewSPCPoint{{TS: time.Now(), Value: s.CenterLine + 10*s.Sigma}})
	if err != nil || len(alerts) == 0 {
		t.Fatalf("AddPoints: %d, %v", len(alerts), err)
	}
	msgs := srv.Await(t, "SPC alert on", len(alerts)) // the calibration sweep sends e-mails of its own
	if len(msgs) != len(alerts) {
		t.Fatalf("%d e-mails for %d alerts", len(msgs), len(alerts))
	}
	for _, sum := range msgs {
		if len(sum.To) != 1 || sum.To[0].Address != "engineer@demo.lab" || sum.Subject != "[Demo Lab] SPC alert on "+s.Name {
			t.Fatalf("e-mail %+v", sum)
		}
	}
	full, err := srv.Message(ctx, msgs[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if link := "https://lims.example.org/spc/" + seriesID.String(); !strings.Contains(full.Text, link) || !strings.Contains(full.HTML, link) {
		t.Fatalf("the link is missing:\n%s\n%s", full.Text, full.HTML)
	}

	// One notification to two recipients, produced on both instances with
	// the same key: two e-mails in all, one each.
	n := spectra.NewNotification{Kind: spectra.NotifyReviewSubmitted, Subject: "s", Body: "b", Link: "/recipes/x",
		Object: spectra.ObjectRef{Kind: "recipe", ID: uuid.New()}, ObjectName: "Etch recipe", DedupeKey: "review:once"}
	to := []uuid.UUID{eng.UserID, pi.UserID}
	for _, db := range []*postgres.DB{runtime, second} {
		if _, err := db.Notify(ctx, eng, to, n); err != nil {
			t.Fatal(err)
		}
	}
	msgs = srv.Await(t, "Etch recipe", 2)
	if len(msgs) != 2 || msgs[0].To[0].Address == msgs[1].To[0].Address {
		t.Fatalf("review e-mails: %+v", msgs)
	}
	noDuplicateEmailJobs(t, in)
}

// TestEmailJobRetriedWhileSMTPIsDown: an e-mail whose SMTP server does not
// answer stays a retryable job with its error in the organization's jobs
// list, and is delivered once the server is back.
func TestEmailJobRetriedWhileSMTPIsDown(t *testing.T) {
	owner, runtime := pgtest.NewSeededDBs(t)
	in := pgtest.Inspector(t, owner)
	ctx := context.Background()
	// Nothing listens here yet.
	probe, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := probe.Addr().String()
	probe.Close()
	host, p, _ := net.SplitHostPort(addr)
	port, _ := strconv.Atoi(p)
	jobstest.Start(t, runtime, jobs.Options{Mailer: mailer(t, host, port), PublicURL: "https://lims.example.org",
		EmailRetry: func(int) time.Duration { return 300 * time.Millisecond }})

	eng := tenantOf(t, in, "engineer@demo.lab", spectra.RoleEngineer)
	if _, err := runtime.Notify(ctx, eng, []uuid.UUID{eng.UserID}, spectra.NewNotification{Kind: spectra.NotifyRunBlocked,
		Subject: "s", Body: "b", Link: "/runs/x", Object: spectra.ObjectRef{Kind: "run", ID: uuid.New()}, ObjectName: "Run 7",
		DedupeKey: "blocked:7"}); err != nil {
		t.Fatal(err)
	}
	var job spectra.Job
	waitFor(t, "a failed attempt listed", func() bool {
		list, err := runtime.Jobs(ctx, eng.OrgID, jobs.GlobalKinds, 50)
		if err != nil {
			t.Fatal(err)
		}
		for _, j := range list {
			if j.Kind == "send_email" && j.LastError != nil && j.Attempt >= 2 {
				job = j
				return true
			}
		}
		return false
	})
	if job.State != "retryable" && job.State != "running" && job.State != "available" {
		t.Fatalf("failing e-mail job: %+v", job)
	}
	if !strings.Contains(*job.LastError, addr) && !strings.Contains(*job.LastError, "connect") {
		t.Fatalf("last error does not say why: %q", *job.LastError)
	}
	srv := mailpittest.Start(t, mailpittest.Options{SMTPAddr: addr})
	msgs := srv.Await(t, "Run 7", 1)
	if len(msgs) != 1 || msgs[0].To[0].Address != "engineer@demo.lab" || !strings.Contains(msgs[0].Subject, "Run 7") {
		t.Fatalf("after the server came back: %+v", msgs)
	}
	waitFor(t, "the job completed", func() bool {
		var state string
		err := in.Pool().QueryRow(ctx, `SELECT state::text FROM river_job WHERE id = $1`, job.ID).Scan(&state)
		if err != nil {
			t.Fatal(err)
		}
		return state == "completed"
	})
}
