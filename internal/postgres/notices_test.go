package postgres_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/spectra-lab/spectra/internal/postgres"
	"github.com/spectra-lab/spectra/internal/postgres/pgtest"
	"github.com/spectra-lab/spectra/internal/spectra"
)

// TestCalibrationNoticesOncePerCalibration moves the clock into one
// instrument's warning window and past its expiry: the sweep records one
// warning and then one expired notice for its current calibration, none
// for a calibration still outside its window, and nothing more however
// often and however concurrently it runs.
func TestCalibrationNoticesOncePerCalibration(t *testing.T) {
	ctx := context.Background()
	owner, runtime := pgtest.NewSeededDBs(t)
	in := pgtest.Inspector(t, owner)
	var org, cal uuid.UUID
	var expires time.Time
	var days int
	// The calibration of demo-lab that expires last: the clock moved into
	// its window is before every later one's.
	if err := in.Pool().QueryRow(ctx, `SELECT c.organization_id, c.id, c.expires_at, o.calibration_warning_days
		FROM calibrations c JOIN organizations o ON o.id = c.organization_id
		JOIN instruments i ON i.organization_id = c.organization_id AND i.id = c.instrument_id
		WHERE o.slug = 'demo-lab' AND c.revoked_at IS NULL AND i.deleted_at IS NULL AND i.status <> 'retired'
		ORDER BY c.expires_at DESC LIMIT 1`).Scan(&org, &cal, &expires, &days); err != nil {
		t.Fatal(err)
	}
	// Another instrument, retired: its calibrations, all expired by the
	// end, get no notice.
	var retired uuid.UUID
	if err := in.Pool().QueryRow(ctx, `SELECT i.id FROM instruments i WHERE i.organization_id = $1 AND i.deleted_at IS NULL
		AND i.id <> (SELECT instrument_id FROM calibrations WHERE organization_id = $1 AND id = $2)
		AND EXISTS (SELECT FROM calibrations c WHERE c.organization_id = i.organization_id AND c.instrument_id = i.id AND c.revoked_at IS NULL)
		ORDER BY i.id LIMIT 1`, org, cal).Scan(&retired); err != nil {
		t.Fatal(err)
	}
	if err := pgtest.OwnerExec(ctx, owner, org, `UPDATE instruments SET status = 'retired' WHERE organization_id = $1 AND id = $2`, org, retired); err != nil {
		t.Fatal(err)
	}
	warn := expires.Add(-time.Duration(days)*24*time.Hour + time.Hour)
	if _, err := runtime.RecordCalibrationNotices(ctx, org, warn.Add(-2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	notices, err := runtime.CalibrationNotices(ctx, org)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range notices {
		if n.CalibrationID == cal {
			t.Errorf("notice %+v before the calibration's warning window (it opens %v)", n, warn.Add(-time.Hour))
		}
	}
	run := func(now time.Time, times int) int64 {
		var wg sync.WaitGroup
		var mu sync.Mutex
		var total int64
		for range times {
			wg.Go(func() {
				n, err := runtime.RecordCalibrationNotices(ctx, org, now)
				if err != nil {
					t.Error(err)
				}
				mu.Lock()
				total += n
				mu.Unlock()
			})
		}
		wg.Wait()
		return total
	}
	// A webhook of the calibration kinds hears of each event once; one of
	// another kind, nothing.
	sys := postgres.Tenant{OrgID: org, Auth: "system"}
	hook, err := runtime.CreateWebhook(ctx, sys, "https://93.184.215.14/hook",
		[]spectra.NotificationKind{spectra.NotifyCalibrationWarning, spectra.NotifyCalibrationExpired}, "whsec_0123456789abcdef0123456789abcdef")
	if err != nil {
		t.Fatal(err)
	}
	spcOnly, err := runtime.CreateWebhook(ctx, sys, "https://93.184.215.14/spc", []spectra.NotificationKind{spectra.NotifySPCAlert}, "whsec_0123456789abcdef0123456789abcdef")
	if err != nil {
		t.Fatal(err)
	}
	added := run(warn, 4)
	if added < 1 {
		t.Fatalf("in the warning window: %d notices added, want at least the calibration's", added)
	}
	if again := run(warn, 3); again != 0 {
		t.Errorf("the sweep again: %d notices added, want 0", again)
	}
	if expired := run(expires.Add(time.Hour), 4); expired < 1 {
		t.Errorf("past the expiry: %d notices added, want at least the calibration's", expired)
	}
	if again := run(expires.Add(2*time.Hour), 2); again != 0 {
		t.Errorf("past the expiry again: %d notices added, want 0", again)
	}
	notices, err = runtime.CalibrationNotices(ctx, org)
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	for _, n := range notices {
		if n.CalibrationID == cal {
			kinds[n.Kind]++
		}
	}
	if kinds["warning"] != 1 || kinds["expired"] != 1 || len(kinds) != 2 {
		t.Errorf("notices of calibration %s: %v, want one warning and one expired", cal, kinds)
	}
	// Each notice told the engineers and PIs once, in their inbox, naming
	// the instrument; the concurrent and repeated sweeps told nobody twice.
	var instrument uuid.UUID
	if err := in.Pool().QueryRow(ctx, `SELECT instrument_id FROM calibrations WHERE id = $1`, cal).Scan(&instrument); err != nil {
		t.Fatal(err)
	}
	for kind, subject := range map[string]string{"calibration_warning": "Calibration of % expires %", "calibration_expired": "Calibration of % has expired"} {
		var n, people, roles int
		if err := in.Pool().QueryRow(ctx, `SELECT count(*), count(DISTINCT user_id),
				(SELECT count(*) FROM memberships m WHERE m.organization_id = $1 AND m.active AND m.deleted_at IS NULL AND m.role IN ('engineer', 'pi'))
			FROM notifications WHERE organization_id = $1 AND kind = $2 AND object_id = $3 AND subject LIKE $4`,
			org, kind, instrument, subject).Scan(&n, &people, &roles); err != nil {
			t.Fatal(err)
		}
		if n == 0 || n != people || n != roles {
			t.Errorf("%s: %d notifications to %d people, want one to each of the %d engineers and PIs", kind, n, people, roles)
		}
	}
	deliveries, err := runtime.WebhookDeliveries(ctx, sys, hook.ID, 200)
	if err != nil {
		t.Fatal(err)
	}
	events := map[spectra.NotificationKind]int{}
	for _, d := range deliveries {
		if d.Payload.Object.ID == instrument {
			events[d.Kind]++
			if d.Payload.Organization != org || d.Payload.Object.Kind != "instruments" || d.Payload.Object.Name == "" || d.Payload.Subject == "" || d.EventID != d.Payload.ID {
				t.Errorf("delivery payload %+v", d.Payload)
			}
		}
	}
	if events[spectra.NotifyCalibrationWarning] != 1 || events[spectra.NotifyCalibrationExpired] != 1 {
		t.Errorf("webhook deliveries about the instrument: %v, want one warning and one expired", events)
	}
	if ds, err := runtime.WebhookDeliveries(ctx, sys, spcOnly.ID, 200); err != nil || len(ds) != 0 {
		t.Errorf("a webhook of SPC alerts got %d deliveries (%v)", len(ds), err)
	}
	var ofRetired int
	if err := in.Pool().QueryRow(ctx, `SELECT count(*) FROM calibration_notices n JOIN calibrations c
		ON c.organization_id = n.organization_id AND c.id = n.calibration_id WHERE c.instrument_id = $1`, retired).Scan(&ofRetired); err != nil {
		t.Fatal(err)
	}
	if ofRetired != 0 {
		t.Errorf("the retired instrument's calibrations got %d notices, want none", ofRetired)
	}
	// Another organization sees none of them.
	var otherOrg uuid.UUID
	if err := in.Pool().QueryRow(ctx, `SELECT id FROM organizations WHERE id <> $1 LIMIT 1`, org).Scan(&otherOrg); err != nil {
		t.Fatal(err)
	}
	theirs, err := runtime.CalibrationNotices(ctx, otherOrg)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range theirs {
		if n.CalibrationID == cal {
			t.Errorf("another organization sees demo-lab's notice %+v", n)
		}
	}
}
