package postgres

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/spectra-lab/spectra/internal/spectra"
)

// The chain of custody: append-only events per sample (the application
// role may not UPDATE or DELETE them). Recording one also moves the
// sample's status, holder and location, in the same transaction, under
// the sample's row lock, so two events for one sample are serialized and
// each sees the other's outcome. Events of a deleted sample are hidden
// with it.

const custodyColumns = `c.id, c.sample_id, s.barcode, c.event_type, c.from_holder, c.to_holder, c.from_location, c.to_location,
	c.occurred_at, c.notes, c.recorded_by, c.created_at`

const custodyFrom = `custody_events c
	JOIN samples s ON s.organization_id = c.organization_id AND s.id = c.sample_id AND s.deleted_at IS NULL`

// custodyFuture is how far ahead of the database's clock an event may be
// dated: room for a client's clock skew, not for planning.
const custodyFuture = 5 * time.Minute

func scanCustody(r pgx.Row) (spectra.CustodyEvent, error) {
	var e spectra.CustodyEvent
	err := r.Scan(&e.ID, &e.SampleID, &e.SampleBarcode, &e.Type, &e.FromHolder, &e.ToHolder, &e.FromLocation, &e.ToLocation,
		&e.OccurredAt, &e.Notes, &e.RecordedBy, &e.CreatedAt)
	return e, err
}

// ListCustody lists custody events, the most recently recorded first.
func (db *DB) ListCustody(ctx context.Context, t Tenant, f spectra.CustodyFilter, p Page) ([]spectra.CustodyEvent, string, error) {
	w := filter{sql: `c.organization_id = $1 AND c.id < $2`, args: []any{t.OrgID, p.KeysetBound()}}
	if f.SampleID != uuid.Nil {
		w.and(`c.sample_id = ?`, f.SampleID)
	}
	out, cursor, err := listPage(ctx, db, t, p, w, custodyColumns, custodyFrom, "c.id DESC", scanCustody,
		func(e spectra.CustodyEvent) uuid.UUID { return e.ID })
	return out, cursor, mapError(err, "custody event")
}

// SampleCustody is a live sample's timeline: its events oldest first (by
// occurred_at, then as recorded). The page's cursor is the last event of
// the previous page. A sample that is not there is CodeNotFound.
func (db *DB) SampleCustody(ctx context.Context, t Tenant, sampleID uuid.UUID, p Page) ([]spectra.CustodyEvent, string, error) {
	w := filter{sql: `c.organization_id = $1 AND c.sample_id = $2`, args: []any{t.OrgID, sampleID}}
	if p.After != uuid.Nil {
		w.and(`(c.occurred_at, c.id) > (SELECT a.occurred_at, a.id FROM custody_events a
			WHERE a.organization_id = $1 AND a.sample_id = $2 AND a.id = ?)`, p.After)
	}
	q, args := w.query(custodyColumns, custodyFrom, "c.occurred_at, c.id", p.Limit+1)
	out, err := inTenant(ctx, db, t, func(tx pgx.Tx) ([]spectra.CustodyEvent, error) {
		if _, err := sample(ctx, tx, t.OrgID, sampleID, false); err != nil {
			return nil, err
		}
		rows, err := tx.Query(ctx, q, args...)
		if err != nil {
			return nil, err
		}
		return pgx.CollectRows(rows, func(r pgx.CollectableRow) (spectra.CustodyEvent, error) { return scanCustody(r) })
	})
	if err != nil {
		return nil, "", mapError(err, "custody event")
	}
	out, cursor := next(out, p.Limit, func(e spectra.CustodyEvent) uuid.UUID { return e.ID })
	return out, cursor, nil
}

// RecordCustody appends an event to a sample's chain and moves the sample
// accordingly (spectra.AfterCustody). A sample that is not a live sample
// of the organization is CodeInvalid naming sample_id; an event dated
// before the sample's latest one, or after its consumption or disposal,
// is CodeConflict; one dated in the future is CodeInvalid.
func (db *DB) RecordCustody(ctx context.Context, t Tenant, ev spectra.NewCustodyEvent) (spectra.CustodyEvent, error) {
	if err := ev.Validate(); err != nil {
		return spectra.CustodyEvent{}, err
	}
	var out spectra.CustodyEvent
	err := db.InTenant(ctx, t, func(tx pgx.Tx) error {
		cur, err := sample(ctx, tx, t.OrgID, ev.SampleID, true)
		if spectra.ErrorCode(err) == spectra.CodeNotFound {
			return &spectra.Error{Code: spectra.CodeInvalid, Message: "sample_id names no sample of this organization",
				Fields: []spectra.FieldError{{Field: "sample_id", Message: "no such sample"}}}
		}
		if err != nil {
			return err
		}
		if err := cur.Allows(spectra.SampleRecordCustody); err != nil {
			return err
		}
		moved, err := spectra.AfterCustody(cur.Status, cur.Holder, cur.Location, ev)
		if err != nil {
			return err
		}
		var now time.Time
		var latest *time.Time
		// The time after the sample's row lock, not the transaction's start
		// (now()): an event that waited behind another must not predate it.
		if err := tx.QueryRow(ctx, `SELECT clock_timestamp(), (SELECT max(occurred_at) FROM custody_events WHERE organization_id = $1 AND sample_id = $2)`,
			t.OrgID, ev.SampleID).Scan(&now, &latest); err != nil {
			return err
		}
		at := ev.OccurredAt
		if at.IsZero() {
			at = now
		}
		if at.After(now.Add(custodyFuture)) {
			return &spectra.Error{Code: spectra.CodeInvalid, Message: "occurred_at is in the future",
				Fields: []spectra.FieldError{{Field: "occurred_at", Message: "in the future"}}}
		}
		if latest != nil && at.Before(*latest) {
			return &spectra.Error{Code: spectra.CodeConflict,
				Message: "occurred_at is before the sample's latest custody event (" + latest.UTC().Format(time.RFC3339) + "): the chain is recorded in order",
				Fields:  []spectra.FieldError{{Field: "occurred_at", Message: "before the latest event"}}}
		}
		if ev.FromHolder == "" {
			ev.FromHolder = cur.Holder
		}
		if ev.FromLocation == "" {
			ev.FromLocation = cur.Location
		}
		var id uuid.UUID
		if err := tx.QueryRow(ctx, `INSERT INTO custody_events (organization_id, sample_id, event_type, from_holder, to_holder,
				from_location, to_location, occurred_at, notes, recorded_by)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
			t.OrgID, ev.SampleID, string(ev.Type), ev.FromHolder, ev.ToHolder, ev.FromLocation, ev.ToLocation, at, ev.Notes,
			nilUUID(t.UserID)).Scan(&id); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE samples SET status = $3, holder = $4, location = $5 WHERE organization_id = $1 AND id = $2`,
			t.OrgID, ev.SampleID, string(moved.Status), moved.Holder, moved.Location); err != nil {
			return err
		}
		out, err = scanCustody(tx.QueryRow(ctx, `SELECT `+custodyColumns+` FROM `+custodyFrom+` WHERE c.organization_id = $1 AND c.id = $2`,
			t.OrgID, id))
		return err
	})
	return out, mapError(err, "custody event")
}
