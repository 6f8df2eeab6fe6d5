package jobs_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/spectra-lab/spectra/internal/jobs"
	"github.com/spectra-lab/spectra/internal/jobs/jobstest"
	"github.com/spectra-lab/spectra/internal/postgres"
	"github.com/spectra-lab/spectra/internal/postgres/pgtest"
	"github.com/spectra-lab/spectra/internal/spectra"
	"github.com/spectra-lab/spectra/internal/webhook"
)

// received is one delivery a receiver accepted.
type received struct {
	id, timestamp string
	event         spectra.WebhookEvent
}

// receiver is a real HTTP server that checks each delivery's signature
// and timestamp as a subscriber would; status answers the n-th request
// (from 1).
type receiver struct {
	*httptest.Server
	mu       sync.Mutex
	got      []received
	bad      atomic.Int32
	requests atomic.Int32
}

func newReceiver(t *testing.T, secret *string, status func(n int) int) *receiver {
	r := &receiver{}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		n := int(r.requests.Add(1))
		body, _ := io.ReadAll(req.Body)
		err := webhook.Verify(*secret, req.Header.Get(webhook.HeaderTimestamp), req.Header.Get(webhook.HeaderSignature), body, time.Now(), 5*time.Minute)
		var ev spectra.WebhookEvent
		if err == nil {
			err = json.Unmarshal(body, &ev)
		}
		if err != nil || req.Method != http.MethodPost || req.Header.Get("Content-Type") != "application/json" {
			t.Errorf("delivery %d refused: %v", n, err)
			r.bad.Add(1)
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		code := status(n)
		if code == http.StatusOK {
			r.mu.Lock()
			r.got = append(r.got, received{id: req.Header.Get(webhook.HeaderID), timestamp: req.Header.Get(webhook.HeaderTimestamp), event: ev})
			r.mu.Unlock()
		}
		w.WriteHeader(code)
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *receiver) deliveries() []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]received(nil), r.got...)
}

// loopback is the operator allow-list the tests need: http, and
// 127.0.0.1, where the receiver listens.
var loopback = webhook.Policy{AllowHTTP: true, Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}}

func fastWebhooks(o jobs.Options) jobs.Options {
	o.Webhooks = loopback
	o.WebhookSweep = time.Second // River's periods are whole seconds
	o.WebhookBackoff = 50 * time.Millisecond
	return o
}

func spcEvent(key string) spectra.NewNotification {
	id := uuid.New()
	return spectra.NewNotification{Kind: spectra.NotifySPCAlert, Subject: "SPC alert on Film thickness: rule 1",
		Body: "beyond 3 sigma", Link: "/spc/" + id.String(), Object: spectra.ObjectRef{Kind: "spc_series", ID: id},
		DedupeKey: key, ObjectName: "Film thickness"}
}

func deliveryRows(t *testing.T, db *postgres.DB, tenant postgres.Tenant, hook uuid.UUID) []spectra.WebhookDelivery {
	t.Helper()
	ds, err := db.WebhookDeliveries(context.Background(), tenant, hook, 100)
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

// TestWebhookDeliveredOnceAcrossInstances: two instances work the queue;
// an event notified twice (a retried producer) reaches the subscribed
// webhook once, signed, and a webhook of another kind nothing.
func TestWebhookDeliveredOnceAcrossInstances(t *testing.T) {
	owner, runtime := pgtest.NewSeededDBs(t)
	in := pgtest.Inspector(t, owner)
	ctx := context.Background()
	org := orgID(t, in, "demo-lab")
	dumpJobs(t, in)
	tenant := postgres.Tenant{OrgID: org, Auth: "system"}
	secret := ""
	rcv := newReceiver(t, &secret, func(int) int { return http.StatusOK })
	hook, err := runtime.CreateWebhook(ctx, tenant, rcv.URL+"/hook", []spectra.NotificationKind{spectra.NotifySPCAlert}, "whsec_0123456789abcdef0123456789abcdef")
	if err != nil {
		t.Fatal(err)
	}
	secret = "whsec_0123456789abcdef0123456789abcdef"
	other, err := runtime.CreateWebhook(ctx, tenant, rcv.URL+"/other", []spectra.NotificationKind{spectra.NotifyRunBlocked}, "whsec_fedcba9876543210fedcba9876543210")
	if err != nil {
		t.Fatal(err)
	}
	jobstest.Start(t, runtime, fastWebhooks(jobs.Options{ID: "instance-a"}))
	jobstest.Start(t, pgtest.Reopen(t, runtime, jobstest.Pooled), fastWebhooks(jobs.Options{ID: "instance-b"}))
	n := spcEvent("spc_alert:" + uuid.NewString())
	for range 2 {
		if _, err := runtime.Notify(ctx, tenant, nil, n); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "the delivery", func() bool { return len(rcv.deliveries()) == 1 })
	time.Sleep(2 * time.Second) // both instances have swept many times over
	got := rcv.deliveries()
	if len(got) != 1 || rcv.requests.Load() != 1 || rcv.bad.Load() != 0 {
		t.Fatalf("deliveries %d, requests %d, refused %d; want one signed delivery", len(got), rcv.requests.Load(), rcv.bad.Load())
	}
	ev := got[0].event
	if ev.Kind != spectra.NotifySPCAlert || ev.Organization != org || ev.Object.Name != "Film thickness" || ev.Object.ID != n.Object.ID ||
		ev.Subject != n.Subject || ev.Link != n.Link || got[0].id != ev.ID.String() || ev.OccurredAt.IsZero() {
		t.Errorf("delivered %+v (id header %s)", ev, got[0].id)
	}
	if c := count(t, in, "webhook_delivery", ""); c != 1 {
		t.Errorf("webhook_delivery jobs: %d, want 1", c)
	}
	ds := deliveryRows(t, runtime, tenant, hook.ID)
	if len(ds) != 1 || ds[0].Attempts != 1 || ds[0].LastStatusCode == nil || *ds[0].LastStatusCode != 200 || ds[0].DeliveredAt == nil {
		t.Errorf("delivery log: %+v", ds)
	}
	if ds := deliveryRows(t, runtime, tenant, other.ID); len(ds) != 0 {
		t.Errorf("a webhook of another kind got %d deliveries", len(ds))
	}
}

// TestWebhookRetriedThenRedelivered: a receiver answering 500 twice then
// 200 gets three attempts, recorded, and the delivery is delivered; a
// redelivery sends the same event again with a new timestamp.
func TestWebhookRetriedThenRedelivered(t *testing.T) {
	owner, runtime := pgtest.NewSeededDBs(t)
	_ = owner
	ctx := context.Background()
	org := orgID(t, pgtest.Inspector(t, owner), "demo-lab")
	dumpJobs(t, pgtest.Inspector(t, owner))
	tenant := postgres.Tenant{OrgID: org, Auth: "system"}
	secret := "whsec_0123456789abcdef0123456789abcdef"
	rcv := newReceiver(t, &secret, func(n int) int {
		if n <= 2 {
			return http.StatusInternalServerError
		}
		return http.StatusOK
	})
	hook, err := runtime.CreateWebhook(ctx, tenant, rcv.URL, []spectra.NotificationKind{spectra.NotifySPCAlert}, secret)
	if err != nil {
		t.Fatal(err)
	}
	var offset atomic.Int64
	now := func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }
	jobstest.Start(t, runtime, fastWebhooks(jobs.Options{Now: now}))
	if _, err := runtime.Notify(ctx, tenant, nil, spcEvent("spc_alert:"+uuid.NewString())); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the third attempt", func() bool { return len(rcv.deliveries()) == 1 })
	var d spectra.WebhookDelivery
	waitFor(t, "the delivery log", func() bool {
		ds := deliveryRows(t, runtime, tenant, hook.ID)
		d = ds[0]
		return len(ds) == 1 && d.DeliveredAt != nil
	})
	if d.Attempts != 3 || d.LastStatusCode == nil || *d.LastStatusCode != 200 || d.LastError != "" || rcv.requests.Load() != 3 {
		t.Fatalf("after 500, 500, 200: %+v (requests %d)", d, rcv.requests.Load())
	}
	offset.Store(int64(2 * time.Minute))
	if _, err := runtime.RedeliverWebhook(ctx, tenant, hook.ID, d.ID); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the redelivery", func() bool { return len(rcv.deliveries()) == 2 })
	got := rcv.deliveries()
	if got[0].id != got[1].id || got[0].event.ID != got[1].event.ID || got[0].timestamp == got[1].timestamp {
		t.Errorf("redelivery: first %+v, second %+v; want the same event with a new timestamp", got[0], got[1])
	}
	waitFor(t, "the redelivery's log", func() bool {
		d = deliveryRows(t, runtime, tenant, hook.ID)[0]
		return d.DeliveredAt != nil
	})
	if d.Attempts != 4 || d.Round != 1 {
		t.Errorf("after the redelivery: %+v", d)
	}
	if _, err := runtime.RedeliverWebhook(ctx, postgres.Tenant{OrgID: orgID(t, pgtest.Inspector(t, owner), "test-org"), Auth: "system"}, hook.ID, d.ID); spectra.ErrorCode(err) != spectra.CodeNotFound {
		t.Errorf("another organization's redelivery: %v, want not found", err)
	}
}

// dumpJobs logs the queue's jobs when the test failed.
func dumpJobs(t *testing.T, in *postgres.DB) {
	t.Cleanup(func() {
		if !t.Failed() {
			return
		}
		rows, err := in.Pool().Query(context.Background(), `SELECT kind, state::text, attempt, errors::text, args::text FROM river_job ORDER BY id`)
		if err != nil {
			t.Log(err)
			return
		}
		defer rows.Close()
		for rows.Next() {
			var kind, state, errs, args string
			var attempt int
			_ = rows.Scan(&kind, &state, &attempt, &errs, &args)
			t.Logf("job %s %s attempt %d args %s errors %s", kind, state, attempt, args, errs)
		}
	})
}
