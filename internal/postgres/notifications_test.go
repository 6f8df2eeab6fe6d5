package postgres_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/spectra-lab/spectra/internal/postgres"
	"github.com/spectra-lab/spectra/internal/postgres/pgtest"
	"github.com/spectra-lab/spectra/internal/spectra"
)

// userTenant is a demo user's tenant in their organization.
func userTenant(t *testing.T, db *postgres.DB, slug, email string, role spectra.Role) postgres.Tenant {
	t.Helper()
	ten := demoLabTenant(t, db)
	if slug != "demo-lab" {
		if err := db.Pool().QueryRow(context.Background(), `SELECT id FROM organizations WHERE slug = $1`, slug).Scan(&ten.OrgID); err != nil {
			t.Fatal(err)
		}
	}
	ten.UserID, ten.Role = postgres.SeedID("user", email), role
	return ten
}

func inbox(t *testing.T, db *postgres.DB, ten postgres.Tenant) ([]spectra.Notification, int) {
	t.Helper()
	p, err := spectra.NewPage(50, "")
	if err != nil {
		t.Fatal(err)
	}
	items, _, unread, err := db.Inbox(context.Background(), ten, false, p)
	if err != nil {
		t.Fatal(err)
	}
	return items, unread
}

func wantCode(t *testing.T, err error, code spectra.Code) {
	t.Helper()
	var e *spectra.Error
	if !errors.As(err, &e) || e.Code != code {
		t.Fatalf("err = %v, want code %v", err, code)
	}
}

// A point that breaks a rule notifies the engineers and PIs of the
// organization, in the same transaction; nobody else, and another
// organization's users not at all.
func TestSPCAlertNotifiesEngineersAndPIs(t *testing.T) {
	db := pgtest.NewSeededDB(t)
	ctx := context.Background()
	pi := userTenant(t, db, "demo-lab", "pi@demo.lab", spectra.RolePI)
	eng := userTenant(t, db, "demo-lab", "engineer@demo.lab", spectra.RoleEngineer)
	viewer := userTenant(t, db, "demo-lab", "viewer@demo.lab", spectra.RoleViewer)
	other := userTenant(t, db, "test-org", "pi@test.org", spectra.RolePI)
	seriesID := postgres.SeedID("demo-lab", "spc", "vth")
	s, err := db.Series(ctx, pi, seriesID)
	if err != nil {
		t.Fatal(err)
	}
	for _, ten := range []postgres.Tenant{pi, eng, viewer, other} {
		if items, unread := inbox(t, db, ten); len(items) != 0 || unread != 0 {
			t.Fatalf("before: %d items, %d unread", len(items), unread)
		}
	}
	_, alerts, err := db.AddPoints(ctx, eng, seriesID, []postgres.NewSPCPoint{{TS: time.Now(), Value: s.CenterLine + 10*s.Sigma}})
	if err != nil || len(alerts) == 0 {
		t.Fatalf("AddPoints: %v alerts, %v", len(alerts), err)
	}
	for _, ten := range []postgres.Tenant{pi, eng} {
		items, unread := inbox(t, db, ten)
		if len(items) != len(alerts) || unread != len(alerts) {
			t.Fatalf("%v: %d items, %d unread, want %d", ten.UserID, len(items), unread, len(alerts))
		}
		n := items[0]
		if n.Kind != spectra.NotifySPCAlert || n.Link != "/spc/"+seriesID.String() || n.Object != (spectra.ObjectRef{Kind: "spc_series", ID: seriesID}) ||
			n.ReadAt != nil || n.Subject == "" || n.Body == "" {
			t.Fatalf("notification = %+v", n)
		}
	}
	for _, ten := range []postgres.Tenant{viewer, other} {
		if items, unread := inbox(t, db, ten); len(items) != 0 || unread != 0 {
			t.Fatalf("%v after: %d items, %d unread", ten.UserID, len(items), unread)
		}
	}
}

// Notify writes one row per recipient and key: a retried producer
// notifies nobody twice. It returns who wants e-mail, by their
// preferences; the inbox and mark-read touch only one's own.
func TestNotifyIdempotentPreferencesAndOwnership(t *testing.T) {
	db := pgtest.NewSeededDB(t)
	ctx := context.Background()
	pi := userTenant(t, db, "demo-lab", "pi@demo.lab", spectra.RolePI)
	eng := userTenant(t, db, "demo-lab", "engineer@demo.lab", spectra.RoleEngineer)
	other := userTenant(t, db, "test-org", "pi@test.org", spectra.RolePI)
	object := uuid.New()
	n := spectra.NewNotification{Kind: spectra.NotifyCalibrationWarning, Subject: "SMU due", Body: "due soon", Link: "/instruments/" + object.String(),
		Object: spectra.ObjectRef{Kind: "instrument", ID: object}, DedupeKey: "calibration_warning:1"}
	// The engineer wants no e-mail for the kind; a user of another
	// organization is passed over.
	if _, err := db.SetNotificationPreferences(ctx, eng, []spectra.NotificationPreference{{Kind: spectra.NotifyCalibrationWarning, Inbox: true}}, 1); err != nil {
		t.Fatal(err)
	}
	to := []uuid.UUID{pi.UserID, eng.UserID, other.UserID}
	mail, err := db.Notify(ctx, pi, to, n)
	if err != nil {
		t.Fatal(err)
	}
	if len(mail) != 1 || mail[0].UserID != pi.UserID || mail[0].Email != "pi@demo.lab" || mail[0].NotificationID == uuid.Nil {
		t.Fatalf("e-mail recipients = %+v", mail)
	}
	again, err := db.Notify(ctx, pi, to, n)
	if err != nil || len(again) != 0 {
		t.Fatalf("retry: %+v, %v", again, err)
	}
	piItems, unread := inbox(t, db, pi)
	if len(piItems) != 1 || unread != 1 || piItems[0].ID != mail[0].NotificationID {
		t.Fatalf("pi inbox: %+v, %d unread", piItems, unread)
	}
	if items, _ := inbox(t, db, eng); len(items) != 1 {
		t.Fatalf("engineer inbox: %+v", items)
	}
	if items, _ := inbox(t, db, other); len(items) != 0 {
		t.Fatalf("other organization's inbox: %+v", items)
	}
	// Another user's notification, and another organization's, is not found.
	_, err = db.MarkRead(ctx, eng, piItems[0].ID)
	wantCode(t, err, spectra.CodeNotFound)
	_, err = db.MarkRead(ctx, other, piItems[0].ID)
	wantCode(t, err, spectra.CodeNotFound)
	read, err := db.MarkRead(ctx, pi, piItems[0].ID)
	if err != nil || read.ReadAt == nil {
		t.Fatalf("MarkRead = %+v, %v", read, err)
	}
	if _, unread := inbox(t, db, pi); unread != 0 {
		t.Fatalf("unread after mark read: %d", unread)
	}
	// Inbox off: nothing listed, the e-mail still goes, and the key still
	// holds on a retry.
	n2 := n
	n2.Kind, n2.DedupeKey = spectra.NotifyRunBlocked, "run_blocked:1"
	if _, err := db.SetNotificationPreferences(ctx, pi, []spectra.NotificationPreference{{Kind: spectra.NotifyRunBlocked, Email: true}}, 1); err != nil {
		t.Fatal(err)
	}
	mail, err = db.Notify(ctx, pi, []uuid.UUID{pi.UserID}, n2)
	if err != nil || len(mail) != 1 || mail[0].NotificationID != uuid.Nil {
		t.Fatalf("inbox off: %+v, %v", mail, err)
	}
	if again, err := db.Notify(ctx, pi, []uuid.UUID{pi.UserID}, n2); err != nil || len(again) != 0 {
		t.Fatalf("inbox off, retry: %+v, %v", again, err)
	}
	if items, unread := inbox(t, db, pi); len(items) != 1 || unread != 0 {
		t.Fatalf("inbox off: %d items, %d unread", len(items), unread)
	}
	// Mark all read answers how many it marked, up to the newest seen.
	engItems, _ := inbox(t, db, eng)
	if n, err := db.MarkAllRead(ctx, eng, uuid.Nil); err != nil || n != 0 {
		t.Fatalf("MarkAllRead up to nothing = %d, %v", n, err)
	}
	if n, err := db.MarkAllRead(ctx, eng, engItems[0].ID); err != nil || n != 1 {
		t.Fatalf("MarkAllRead = %d, %v", n, err)
	}
	if n, err := db.MarkAllRead(ctx, eng, engItems[0].ID); err != nil || n != 0 {
		t.Fatalf("MarkAllRead again = %d, %v", n, err)
	}
}

// Preferences default to inbox and e-mail for every kind; a bad kind
// writes nothing; a stale version is refused.
func TestNotificationPreferences(t *testing.T) {
	db := pgtest.NewSeededDB(t)
	ctx := context.Background()
	pi := userTenant(t, db, "demo-lab", "pi@demo.lab", spectra.RolePI)
	ps, err := db.NotificationPreferences(ctx, pi)
	if err != nil || len(ps.Items) != len(spectra.NotificationKinds) || ps.Version != 1 {
		t.Fatalf("defaults = %+v, %v", ps, err)
	}
	for i, p := range ps.Items {
		if p != spectra.DefaultNotificationPreference(spectra.NotificationKinds[i]) || !p.Inbox || !p.Email || p.DailyDigest {
			t.Fatalf("default %d = %+v", i, p)
		}
	}
	_, err = db.SetNotificationPreferences(ctx, pi, []spectra.NotificationPreference{
		{Kind: spectra.NotifySPCAlert, Inbox: true, DailyDigest: true}, {Kind: "nonsense"}}, 1)
	wantCode(t, err, spectra.CodeInvalid)
	var e *spectra.Error
	if errors.As(err, &e); len(e.Fields) != 1 || e.Fields[0].Field != "items[1].kind" {
		t.Fatalf("fields = %+v", e.Fields)
	}
	if after, _ := db.NotificationPreferences(ctx, pi); after.Items[3] != ps.Items[3] || after.Version != 1 {
		t.Fatalf("partial write: %+v", after)
	}
	digest := spectra.NotificationPreference{Kind: spectra.NotifySPCAlert, Inbox: true, Email: true, DailyDigest: true}
	got, err := db.SetNotificationPreferences(ctx, pi, []spectra.NotificationPreference{digest}, 1)
	if err != nil || got.Items[3] != digest || got.Items[0] != ps.Items[0] || got.Version != 2 {
		t.Fatalf("set = %+v, %v", got, err)
	}
	// Changing a row raises the version too; the old one is stale.
	digest.Inbox = false
	if got, err = db.SetNotificationPreferences(ctx, pi, []spectra.NotificationPreference{digest}, 2); err != nil || got.Version != 3 {
		t.Fatalf("second set = %+v, %v", got, err)
	}
	_, err = db.SetNotificationPreferences(ctx, pi, []spectra.NotificationPreference{digest}, 2)
	wantCode(t, err, spectra.CodeConflict)
	digest.Inbox = true
	if _, err = db.SetNotificationPreferences(ctx, pi, []spectra.NotificationPreference{digest}, 3); err != nil {
		t.Fatal(err)
	}
	// A digest user gets the inbox entry and no e-mail now.
	mail, err := db.Notify(ctx, pi, []uuid.UUID{pi.UserID}, spectra.NewNotification{Kind: spectra.NotifySPCAlert, Subject: "s", Body: "b",
		Link: "/spc/x", Object: spectra.ObjectRef{Kind: "spc_series", ID: uuid.New()}, DedupeKey: "k"})
	if err != nil || len(mail) != 0 {
		t.Fatalf("digest: %+v, %v", mail, err)
	}
	if items, unread := inbox(t, db, pi); len(items) != 1 || unread != 1 {
		t.Fatalf("digest inbox: %d items, %d unread", len(items), unread)
	}
}
