package postgres

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/spectra-lab/spectra/internal/spectra"
)

// Notifications (PRODUCT.md §14): the in-app inbox and the channels each
// user chose. A user sees and changes only their own: another user's
// notification is CodeNotFound, like another organization's.

const notificationColumns = `n.id, n.kind, n.subject, n.body, n.link, n.object_kind, n.object_id, n.created_at, n.read_at`

func scanNotification(r pgx.Row) (spectra.Notification, error) {
	var n spectra.Notification
	err := r.Scan(&n.ID, &n.Kind, &n.Subject, &n.Body, &n.Link, &n.Object.Kind, &n.Object.ID, &n.CreatedAt, &n.ReadAt)
	return n, err
}

var errNotificationNotFound = spectra.Errorf(spectra.CodeNotFound, "notification not found")

// pendingMail holds, per open tenant transaction (inTenant), the e-mails
// its notifications ask for; inTenant queues them with OnEmail's function
// just before the commit, in the transaction, so a rolled-back change
// sends nothing and a committed one is never lost.
var pendingMail sync.Map // pgx.Tx → *[]spectra.EmailDelivery

// EmailQueue queues e-mails in the transaction that produces them (the
// job queue's send_email jobs): they are sent if and only if tx commits.
type EmailQueue func(ctx context.Context, tx pgx.Tx, msgs []spectra.EmailMessage) error

// OnEmail sets the function that queues, in each transaction before it
// commits, the e-mails its notifications (and password resets) ask for.
// The job queue sets it (jobs.New with a Mailer): this package does not
// import that one, which imports this. nil (no SMTP): no e-mail is
// queued. Set it before serving.
func (db *DB) OnEmail(fn EmailQueue) { db.onEmail = fn }

// queueEmail runs OnEmail's function in tx as the pool's login role: the
// job queue's tables are granted to it (spectra_grant_jobs), not to
// spectra_app or spectra_auth, whose role the transaction has taken, so
// that tenant statements cannot read other organizations' jobs. The
// transaction's role is set back afterwards.
func (db *DB) queueEmail(ctx context.Context, tx pgx.Tx, msgs []spectra.EmailMessage) error {
	if db.onEmail == nil || len(msgs) == 0 {
		return nil
	}
	var role string
	if err := tx.QueryRow(ctx, `SELECT current_user`).Scan(&role); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `SET LOCAL ROLE NONE`); err != nil {
		return err
	}
	if err := db.onEmail(ctx, tx, msgs); err != nil {
		return fmt.Errorf("postgres: queue e-mail: %w", err)
	}
	_, err := tx.Exec(ctx, `SET LOCAL ROLE `+pgx.Identifier{role}.Sanitize())
	return err
}

// Notify delivers n to the recipients who are active members of t's
// organization (others are passed over): an inbox row each, unless they
// turned the inbox off for n.Kind, and it returns those who want an
// e-mail now; the same are queued by OnEmail's function in the
// transaction. Idempotent by
// n.DedupeKey: a recipient who already has a notification with the key
// gets nothing and is not returned.
func (db *DB) Notify(ctx context.Context, t Tenant, recipients []uuid.UUID, n spectra.NewNotification) ([]spectra.EmailRecipient, error) {
	return inTenant(ctx, db, t, func(tx pgx.Tx) ([]spectra.EmailRecipient, error) {
		return notify(ctx, tx, t.OrgID, recipients, n)
	})
}

// notify is Notify inside the caller's transaction: a producer notifies
// in the transaction of the change it reports, so both happen or neither.
func notify(ctx context.Context, tx pgx.Tx, org uuid.UUID, recipients []uuid.UUID, n spectra.NewNotification) ([]spectra.EmailRecipient, error) {
	switch {
	case !n.Kind.Valid():
		return nil, spectra.Errorf(spectra.CodeInvalid, "unknown notification kind %q", n.Kind)
	case n.DedupeKey == "":
		return nil, spectra.Errorf(spectra.CodeInvalid, "a notification needs a dedupe key")
	}
	// The organization's webhooks hear of the event whoever its
	// recipients are.
	if err := enqueueWebhooks(ctx, tx, org, n); err != nil {
		return nil, mapError(err, "webhook delivery")
	}
	if len(recipients) == 0 {
		return nil, nil
	}
	r, err := tx.Query(ctx, `WITH r AS (
			SELECT u.id, u.email, u.display_name, coalesce(p.inbox, $10) AS inbox, coalesce(p.email, $11) AND NOT coalesce(p.daily_digest, $12) AS wants_email
			FROM users u
			JOIN memberships m ON m.organization_id = $1 AND m.user_id = u.id AND m.active AND m.deleted_at IS NULL
			LEFT JOIN notification_preferences p ON p.organization_id = $1 AND p.user_id = u.id AND p.kind = $3
			WHERE u.id = ANY($2) AND u.active AND u.deleted_at IS NULL AND NOT u.is_service),
		ins AS (
			INSERT INTO notifications (organization_id, user_id, kind, subject, body, link, object_kind, object_id, dedupe_key, inbox)
			SELECT $1, r.id, $3, $4, $5, $6, $7, $8, $9, r.inbox FROM r
			ON CONFLICT ON CONSTRAINT notifications_dedupe_key DO NOTHING
			RETURNING user_id, id, inbox)
		SELECT r.id, r.email, r.display_name, CASE WHEN ins.inbox THEN ins.id END FROM ins JOIN r ON r.id = ins.user_id
		WHERE r.wants_email ORDER BY r.id`,
		org, recipients, string(n.Kind), n.Subject, n.Body, n.Link, n.Object.Kind, n.Object.ID, n.DedupeKey,
		spectra.DefaultNotificationPreference(n.Kind).Inbox, spectra.DefaultNotificationPreference(n.Kind).Email,
		spectra.DefaultNotificationPreference(n.Kind).DailyDigest)
	if err != nil {
		return nil, mapError(err, "notification")
	}
	to, err := pgx.CollectRows(r, func(r pgx.CollectableRow) (spectra.EmailRecipient, error) {
		var e spectra.EmailRecipient
		var nid *uuid.UUID
		err := r.Scan(&e.UserID, &e.Email, &e.Name, &nid)
		if nid != nil {
			e.NotificationID = *nid
		}
		return e, err
	})
	if err != nil || len(to) == 0 {
		return to, err
	}
	if p, ok := pendingMail.Load(tx); ok {
		d := spectra.EmailDelivery{OrgID: org, Kind: n.Kind, ObjectName: n.ObjectName, Detail: n.Detail, Link: n.Link, DedupeKey: n.DedupeKey, To: to}
		if err := tx.QueryRow(ctx, `SELECT name FROM organizations WHERE id = $1`, org).Scan(&d.Lab); err != nil {
			return nil, err
		}
		*p.(*[]spectra.EmailDelivery) = append(*p.(*[]spectra.EmailDelivery), d)
	}
	return to, nil
}

// membersWithRoles are the active members of org with one of roles.
func membersWithRoles(ctx context.Context, tx pgx.Tx, org uuid.UUID, roles ...spectra.Role) ([]uuid.UUID, error) {
	names := make([]string, len(roles))
	for i, r := range roles {
		names[i] = string(r)
	}
	r, err := tx.Query(ctx, `SELECT m.user_id FROM memberships m WHERE m.organization_id = $1 AND m.role = ANY($2)
		AND m.active AND m.deleted_at IS NULL ORDER BY m.user_id`, org, names)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(r, pgx.RowTo[uuid.UUID])
}

// notifyRunBlocked tells whoever planned run d and the organization's PIs,
// but not the person who tried to start it (the 409 told them), that the
// calibration lockout blocked it, in the transaction that recorded the
// block. Each block notifies once (the key names its time).
func notifyRunBlocked(ctx context.Context, tx pgx.Tx, t Tenant, d spectra.RunDetail, reason string, at time.Time) error {
	to, err := membersWithRoles(ctx, tx, t.OrgID, spectra.RolePI)
	if err != nil {
		return err
	}
	if d.CreatedBy != nil && !slices.Contains(to, *d.CreatedBy) {
		to = append(to, *d.CreatedBy)
	}
	to = slices.DeleteFunc(to, func(u uuid.UUID) bool { return u == t.UserID })
	name := fmt.Sprintf("%s on %s", d.RecipeName, d.SampleBarcode)
	_, err = notify(ctx, tx, t.OrgID, to, spectra.NewNotification{
		Kind:       spectra.NotifyRunBlocked,
		Subject:    "Run blocked: " + name,
		Body:       fmt.Sprintf("The run of %s could not start: %s", name, reason),
		Link:       "/runs/" + d.ID.String(),
		Object:     spectra.ObjectRef{Kind: "runs", ID: d.ID},
		DedupeKey:  fmt.Sprintf("run_blocked:%s:%d", d.ID, at.UnixNano()),
		ObjectName: "the run of " + name, Detail: reason,
	})
	return err
}

// notifySPCAlert tells the organization's engineers and PIs that alert a
// was raised on series s, in the transaction that raised it.
func notifySPCAlert(ctx context.Context, tx pgx.Tx, org uuid.UUID, s spectra.SPCSeries, a spectra.SPCAlert) error {
	to, err := membersWithRoles(ctx, tx, org, spectra.RoleEngineer, spectra.RolePI)
	if err != nil {
		return err
	}
	_, err = notify(ctx, tx, org, to, spectra.NewNotification{
		Kind:       spectra.NotifySPCAlert,
		Subject:    fmt.Sprintf("SPC alert on %s: %s", s.Name, a.Rule),
		Body:       fmt.Sprintf("%s broke rule %s: %s", s.Name, a.Rule, a.Message),
		Link:       "/spc/" + s.ID.String(),
		Object:     spectra.ObjectRef{Kind: "spc_series", ID: s.ID},
		DedupeKey:  "spc_alert:" + a.ID.String(),
		ObjectName: s.Name, Detail: a.Message,
	})
	return err
}

// Inbox is one page of t's user's notifications, newest first, and how
// many of all of them are unread.
func (db *DB) Inbox(ctx context.Context, t Tenant, unreadOnly bool, p Page) (items []spectra.Notification, cursor string, unread int, err error) {
	if t.UserID == uuid.Nil {
		return nil, "", 0, spectra.Errorf(spectra.CodeForbidden, "only a person has an inbox")
	}
	w := keyset("n", t, p, false)
	w.and("n.user_id = ?", t.UserID)
	w.also("n.inbox")
	if unreadOnly {
		w.also("n.read_at IS NULL")
	}
	q, args := w.query(notificationColumns, "notifications n", "n.id DESC", p.Limit+1)
	err = db.InTenant(ctx, t, func(tx pgx.Tx) error {
		r, err := tx.Query(ctx, q, args...)
		if err != nil {
			return err
		}
		if items, err = pgx.CollectRows(r, func(r pgx.CollectableRow) (spectra.Notification, error) { return scanNotification(r) }); err != nil {
			return err
		}
		return tx.QueryRow(ctx, `SELECT count(*) FROM notifications WHERE organization_id = $1 AND user_id = $2 AND inbox AND read_at IS NULL`,
			t.OrgID, t.UserID).Scan(&unread)
	})
	if err != nil {
		return nil, "", 0, err
	}
	items, cursor = next(items, p.Limit, func(n spectra.Notification) uuid.UUID { return n.ID })
	return items, cursor, unread, nil
}

// MarkRead marks one of t's user's notifications read (again: a no-op).
func (db *DB) MarkRead(ctx context.Context, t Tenant, id uuid.UUID) (spectra.Notification, error) {
	return inTenant(ctx, db, t, func(tx pgx.Tx) (spectra.Notification, error) {
		n, err := scanNotification(tx.QueryRow(ctx, `UPDATE notifications n SET read_at = coalesce(read_at, now())
			WHERE organization_id = $1 AND id = $2 AND user_id = $3 AND inbox RETURNING `+notificationColumns, t.OrgID, id, t.UserID))
		if err == pgx.ErrNoRows {
			return n, errNotificationNotFound
		}
		return n, err
	})
}

// MarkAllRead marks every unread notification of t's user up to upTo
// (the newest the user has seen: one that arrived since stays unread)
// read and says how many it marked.
func (db *DB) MarkAllRead(ctx context.Context, t Tenant, upTo uuid.UUID) (int64, error) {
	return inTenant(ctx, db, t, func(tx pgx.Tx) (int64, error) {
		tag, err := tx.Exec(ctx, `UPDATE notifications SET read_at = now() WHERE organization_id = $1 AND user_id = $2 AND inbox AND read_at IS NULL AND id <= $3`,
			t.OrgID, t.UserID, upTo)
		return tag.RowsAffected(), err
	})
}

// NotificationPreferences are t's user's channels for every kind, the
// default where they chose none.
func (db *DB) NotificationPreferences(ctx context.Context, t Tenant) (spectra.NotificationPreferences, error) {
	return inTenant(ctx, db, t, func(tx pgx.Tx) (spectra.NotificationPreferences, error) {
		return preferences(ctx, tx, t)
	})
}

var preferencesWording = staleWording{what: "notification preferences", field: true}

func preferences(ctx context.Context, tx pgx.Tx, t Tenant) (spectra.NotificationPreferences, error) {
	out := spectra.NotificationPreferences{Version: 1, Items: make([]spectra.NotificationPreference, len(spectra.NotificationKinds))}
	for i, k := range spectra.NotificationKinds {
		out.Items[i] = spectra.DefaultNotificationPreference(k)
	}
	r, err := tx.Query(ctx, `SELECT kind, inbox, email, webhook, daily_digest, version FROM notification_preferences WHERE organization_id = $1 AND user_id = $2`,
		t.OrgID, t.UserID)
	if err != nil {
		return out, err
	}
	var p spectra.NotificationPreference
	var v int
	_, err = pgx.ForEachRow(r, []any{&p.Kind, &p.Inbox, &p.Email, &p.Webhook, &p.DailyDigest, &v}, func() error {
		out.Version += v
		for i := range out.Items {
			if out.Items[i].Kind == p.Kind {
				out.Items[i] = p
			}
		}
		return nil
	})
	return out, err
}

// SetNotificationPreferences stores t's user's choice for the kinds in
// ps (the others keep theirs) and answers the whole set, if the set is
// still at version (CodeConflict otherwise). An unknown or repeated kind
// is CodeInvalid naming its index; nothing is written.
func (db *DB) SetNotificationPreferences(ctx context.Context, t Tenant, ps []spectra.NotificationPreference, version int) (spectra.NotificationPreferences, error) {
	seen := map[spectra.NotificationKind]bool{}
	for i, p := range ps {
		field := fmt.Sprintf("items[%d].kind", i)
		switch {
		case !p.Kind.Valid():
			return spectra.NotificationPreferences{}, &spectra.Error{Code: spectra.CodeInvalid, Message: "unknown notification kind",
				Fields: []spectra.FieldError{{Field: field, Message: fmt.Sprintf("unknown kind %q", p.Kind)}}}
		case seen[p.Kind]:
			return spectra.NotificationPreferences{}, &spectra.Error{Code: spectra.CodeInvalid, Message: "a kind is given twice",
				Fields: []spectra.FieldError{{Field: field, Message: fmt.Sprintf("%q is given twice", p.Kind)}}}
		}
		seen[p.Kind] = true
	}
	if t.UserID == uuid.Nil {
		return spectra.NotificationPreferences{}, spectra.Errorf(spectra.CodeForbidden, "only a person has notification preferences")
	}
	return inTenant(ctx, db, t, func(tx pgx.Tx) (spectra.NotificationPreferences, error) {
		// The membership row serializes one user's changes of the set.
		if err := exists(ctx, tx, `SELECT FROM memberships WHERE organization_id = $1 AND user_id = $2 FOR NO KEY UPDATE`,
			t.OrgID, t.UserID, "membership not found"); err != nil {
			return spectra.NotificationPreferences{}, err
		}
		cur, err := preferences(ctx, tx, t)
		if err != nil {
			return cur, err
		}
		if err := checkVersion(preferencesWording, cur.Version, 0, version); err != nil {
			return cur, err
		}
		for _, p := range ps {
			if _, err := tx.Exec(ctx, `INSERT INTO notification_preferences (organization_id, user_id, kind, inbox, email, webhook, daily_digest)
				VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (organization_id, user_id, kind) DO UPDATE
				SET inbox = excluded.inbox, email = excluded.email, webhook = excluded.webhook, daily_digest = excluded.daily_digest`,
				t.OrgID, t.UserID, string(p.Kind), p.Inbox, p.Email, p.Webhook, p.DailyDigest); err != nil {
				return spectra.NotificationPreferences{}, mapError(err, "notification preference")
			}
		}
		return preferences(ctx, tx, t)
	})
}
