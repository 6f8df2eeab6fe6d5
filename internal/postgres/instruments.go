package postgres

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/spectra-lab/spectra/internal/spectra"
)

// Instruments and their calibration certificates. Every method runs in the
// caller's tenant transaction and also filters by the tenant's
// organization; another organization's instrument is CodeNotFound.

const instrumentColumns = `id, name, kind, serial, location, status, calibration_required, created_at, updated_at, version`

func scanInstrument(r pgx.Row) (spectra.Instrument, error) {
	var i spectra.Instrument
	err := r.Scan(&i.ID, &i.Name, &i.Kind, &i.Serial, &i.Location, &i.Status, &i.CalibrationRequired, &i.CreatedAt, &i.UpdatedAt, &i.Version)
	return i, err
}

// ListInstruments lists the organization's instruments, newest first.
func (db *DB) ListInstruments(ctx context.Context, t Tenant, f spectra.InstrumentFilter, p Page) ([]spectra.Instrument, string, error) {
	w := filter{sql: `organization_id = $1 AND deleted_at IS NULL AND id < $2`, args: []any{t.OrgID, p.KeysetBound()}}
	if f.Kind != "" {
		w.and(`kind = ?`, f.Kind)
	}
	if f.Status != "" {
		w.and(`status = ?`, f.Status)
	}
	if f.Q != "" {
		w.and(`(name ILIKE '%' || ? || '%' OR serial ILIKE '%' || ? || '%')`, escapeLike(f.Q))
	}
	return listPage(ctx, db, t, p, w, instrumentColumns, "instruments", "id DESC", scanInstrument,
		func(i spectra.Instrument) uuid.UUID { return i.ID })
}

// Instrument returns one instrument (CodeNotFound if missing or deleted).
func (db *DB) Instrument(ctx context.Context, t Tenant, id uuid.UUID) (spectra.Instrument, error) {
	return inTenant(ctx, db, t, func(tx pgx.Tx) (spectra.Instrument, error) { return instrument(ctx, tx, t.OrgID, id, "") })
}

// instrument reads one instrument, with lock "" or a locking clause.
func instrument(ctx context.Context, tx pgx.Tx, org, id uuid.UUID, lock string) (spectra.Instrument, error) {
	i, err := scanInstrument(tx.QueryRow(ctx, `SELECT `+instrumentColumns+` FROM instruments
		WHERE organization_id = $1 AND id = $2 AND deleted_at IS NULL `+lock, org, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return i, spectra.Errorf(spectra.CodeNotFound, "instrument not found")
	}
	return i, err
}

// The calibration lockout's locks. Run creation and start hold each named
// instrument's lock in share mode from before their calibration check to
// their commit; recording or revoking a calibration and updating an
// instrument hold it exclusively. It is a transaction-scoped advisory lock
// (class instrumentLockClass, key instrumentLockKey of the id), not only
// the row lock, because PostgreSQL's row locks are unfair to a waiting
// FOR UPDATE: a FOR SHARE request on a row that only share lockers hold is
// granted at once (heap_lock_tuple does not queue it behind the waiter),
// so a steady stream of run creations starves a revocation indefinitely.
// The lock manager's queue is fair: a share request that conflicts with a
// queued exclusive one waits behind it. A revocation therefore waits only
// for the run creations already holding the lock (each bounded by
// statement_timeout), and every run creation queued behind it checks the
// calibrations after it committed. Both modes wait at most lock_timeout.
const instrumentLockClass int32 = 0x53504331 // "SPC1"

// instrumentLockKey is the advisory key of an instrument: a hash of its id
// (two instruments sharing a key only ever serialize a little more).
func instrumentLockKey(id uuid.UUID) int32 {
	h := uint32(2166136261)
	for _, b := range id {
		h ^= uint32(b)
		h *= 16777619
	}
	return int32(h)
}

// lockInstrumentsShared takes the lockout lock of every instrument in share
// mode, in key order (so that concurrent transactions queue instead of
// deadlocking).
func lockInstrumentsShared(ctx context.Context, tx pgx.Tx, ids []uuid.UUID) error {
	keys := make([]int32, 0, len(ids))
	for _, id := range ids {
		keys = append(keys, instrumentLockKey(id))
	}
	slices.Sort(keys)
	keys = slices.Compact(keys)
	// A function scan yields the array in order: the locks are taken in it.
	_, err := tx.Exec(ctx, `SELECT count(pg_advisory_xact_lock_shared($1::int4, k)) FROM unnest($2::int4[]) AS u(k)`,
		instrumentLockClass, keys)
	return err
}

// lockInstrumentExclusive takes one instrument's lockout lock exclusively
// and then its row FOR UPDATE.
func lockInstrumentExclusive(ctx context.Context, tx pgx.Tx, org, id uuid.UUID) (spectra.Instrument, error) {
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1::int4, $2::int4)`, instrumentLockClass, instrumentLockKey(id)); err != nil {
		return spectra.Instrument{}, err
	}
	return instrument(ctx, tx, org, id, "FOR UPDATE")
}

// CreateInstrument records a new instrument. A name already used in the
// organization is CodeConflict.
func (db *DB) CreateInstrument(ctx context.Context, t Tenant, in spectra.Instrument) (spectra.Instrument, error) {
	var out spectra.Instrument
	err := db.InTenant(ctx, t, func(tx pgx.Tx) error {
		var err error
		out, err = scanInstrument(tx.QueryRow(ctx, `INSERT INTO instruments
			(organization_id, name, kind, serial, location, status, calibration_required, created_by)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING `+instrumentColumns,
			t.OrgID, in.Name, in.Kind, in.Serial, in.Location, in.Status, in.CalibrationRequired, nilUUID(t.UserID)))
		return mapError(err, "instrument")
	})
	return out, err
}

// UpdateInstrument replaces an instrument's fields. ifVersion > 0 must
// match its version (CodePrecondition otherwise); a taken name is
// CodeConflict.
func (db *DB) UpdateInstrument(ctx context.Context, t Tenant, id uuid.UUID, in spectra.Instrument, ifVersion int) (spectra.Instrument, error) {
	var out spectra.Instrument
	err := db.InTenant(ctx, t, func(tx pgx.Tx) error {
		cur, err := lockInstrumentExclusive(ctx, tx, t.OrgID, id)
		if err != nil {
			return err
		}
		if err := checkVersion(staleWording{what: "instrument", terse: true}, cur.Version, ifVersion, 0); err != nil {
			return err
		}
		out, err = scanInstrument(tx.QueryRow(ctx, `UPDATE instruments SET name = $3, kind = $4, serial = $5, location = $6,
				status = $7, calibration_required = $8
			WHERE organization_id = $1 AND id = $2 RETURNING `+instrumentColumns,
			t.OrgID, id, in.Name, in.Kind, in.Serial, in.Location, in.Status, in.CalibrationRequired))
		return mapError(err, "instrument")
	})
	return out, err
}

const calibrationColumns = `c.id, c.instrument_id, c.certificate_number, c.provider, c.issued_at, c.expires_at, c.notes,
	c.revoked_at, c.revoked_reason, c.recorded_by, c.created_at`

func scanCalibration(r pgx.Row) (spectra.Calibration, error) {
	var c spectra.Calibration
	err := r.Scan(&c.ID, &c.InstrumentID, &c.CertificateNumber, &c.Provider, &c.IssuedAt, &c.ExpiresAt, &c.Notes,
		&c.RevokedAt, &c.RevokedReason, &c.RecordedBy, &c.CreatedAt)
	return c, err
}

// ListCalibrations lists certificates, newest first, optionally of one
// instrument (uuid.Nil: all).
func (db *DB) ListCalibrations(ctx context.Context, t Tenant, instrumentID uuid.UUID, p Page) ([]spectra.Calibration, string, error) {
	w := keyset("c", t, p, false)
	if instrumentID != uuid.Nil {
		w.and(`c.instrument_id = ?`, instrumentID)
	}
	return listPage(ctx, db, t, p, w, calibrationColumns, "calibrations c", "c.id DESC", scanCalibration,
		func(c spectra.Calibration) uuid.UUID { return c.ID })
}

// Calibration returns one certificate.
func (db *DB) Calibration(ctx context.Context, t Tenant, id uuid.UUID) (spectra.Calibration, error) {
	return inTenant(ctx, db, t, func(tx pgx.Tx) (spectra.Calibration, error) { return calibration(ctx, tx, t.OrgID, id) })
}

func calibration(ctx context.Context, tx pgx.Tx, org, id uuid.UUID) (spectra.Calibration, error) {
	c, err := scanCalibration(tx.QueryRow(ctx, `SELECT `+calibrationColumns+` FROM calibrations c
		WHERE c.organization_id = $1 AND c.id = $2`, org, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return c, spectra.Errorf(spectra.CodeNotFound, "calibration not found")
	}
	return c, err
}

// CreateCalibration records a certificate. The instrument is locked
// exclusively first (lockInstrumentExclusive), so the change serializes
// with run creation, which holds the lock in share mode between its
// calibration check and its commit, and waits only for the creations
// already holding it, however many more keep arriving. An
// unknown instrument is CodeInvalid naming instrument_id; expires_at not
// after issued_at is CodeInvalid naming expires_at; a certificate number
// already recorded for the instrument is CodeConflict.
func (db *DB) CreateCalibration(ctx context.Context, t Tenant, c spectra.Calibration) (spectra.Calibration, error) {
	var out spectra.Calibration
	err := db.InTenant(ctx, t, func(tx pgx.Tx) error {
		if _, err := lockInstrumentExclusive(ctx, tx, t.OrgID, c.InstrumentID); err != nil {
			if spectra.ErrorCode(err) == spectra.CodeNotFound {
				return spectra.FieldErr(spectra.CodeInvalid, "instrument_id", "no such instrument")
			}
			return err
		}
		var id uuid.UUID
		err := tx.QueryRow(ctx, `INSERT INTO calibrations (organization_id, instrument_id, certificate_number, provider,
				issued_at, expires_at, notes, recorded_by)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
			t.OrgID, c.InstrumentID, c.CertificateNumber, c.Provider, c.IssuedAt, c.ExpiresAt, c.Notes, nilUUID(t.UserID)).Scan(&id)
		if err != nil {
			return mapError(err, "calibration")
		}
		out, err = calibration(ctx, tx, t.OrgID, id)
		return err
	})
	return out, err
}

// RevokeCalibration marks a certificate as revoked (a wrong certificate
// is a fact to correct, not to delete); the instrument falls back to its
// previous unrevoked certificate, if any. Like CreateCalibration it locks
// the instrument first. Revoking twice is CodeConflict.
func (db *DB) RevokeCalibration(ctx context.Context, t Tenant, id uuid.UUID, reason string) (spectra.Calibration, error) {
	var out spectra.Calibration
	err := db.InTenant(ctx, t, func(tx pgx.Tx) error {
		c, err := calibration(ctx, tx, t.OrgID, id)
		if err != nil {
			return err
		}
		if _, err := lockInstrumentExclusive(ctx, tx, t.OrgID, c.InstrumentID); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `UPDATE calibrations SET revoked_at = now(), revoked_reason = $3
			WHERE organization_id = $1 AND id = $2 AND revoked_at IS NULL`, t.OrgID, id, reason)
		if err != nil {
			return mapError(err, "calibration")
		}
		if tag.RowsAffected() == 0 {
			return spectra.Errorf(spectra.CodeConflict, "the calibration is already revoked")
		}
		out, err = calibration(ctx, tx, t.OrgID, id)
		return err
	})
	return out, err
}

// effectiveCalibrations reads instruments with their effective
// certificate (the latest issued, unrevoked one); ids nil means every
// instrument of the organization.
func effectiveCalibrations(ctx context.Context, tx pgx.Tx, org uuid.UUID, ids []uuid.UUID) ([]spectra.InstrumentCalibration, error) {
	w := filter{sql: `i.organization_id = $1 AND i.deleted_at IS NULL`, args: []any{org}}
	if ids != nil {
		w.and(`i.id = ANY(?)`, ids)
	}
	r, err := tx.Query(ctx, `SELECT i.id, i.name, i.kind, i.serial, i.location, i.status, i.calibration_required, i.created_at,
			i.updated_at, i.version, `+calibrationColumns+`
		FROM instruments i
		LEFT JOIN LATERAL (SELECT * FROM calibrations c WHERE c.organization_id = i.organization_id
			AND c.instrument_id = i.id AND c.revoked_at IS NULL ORDER BY c.issued_at DESC, c.id DESC LIMIT 1) c ON true
		WHERE `+w.sql+`
		ORDER BY i.name, i.id`, w.args...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(r, func(r pgx.CollectableRow) (spectra.InstrumentCalibration, error) {
		var ic spectra.InstrumentCalibration
		i := &ic.Instrument
		var c struct {
			id, instrument             *uuid.UUID
			number, provider, notes    *string
			issued, expires, createdAt *time.Time
			revokedAt                  *time.Time
			revokedReason              *string
			recordedBy                 *uuid.UUID
		}
		err := r.Scan(&i.ID, &i.Name, &i.Kind, &i.Serial, &i.Location, &i.Status, &i.CalibrationRequired, &i.CreatedAt, &i.UpdatedAt, &i.Version,
			&c.id, &c.instrument, &c.number, &c.provider, &c.issued, &c.expires, &c.notes, &c.revokedAt, &c.revokedReason, &c.recordedBy, &c.createdAt)
		if err == nil && c.id != nil {
			ic.Certificate = &spectra.Calibration{ID: *c.id, InstrumentID: *c.instrument, CertificateNumber: *c.number, Provider: *c.provider,
				IssuedAt: *c.issued, ExpiresAt: *c.expires, Notes: *c.notes, RevokedAt: c.revokedAt, RevokedReason: c.revokedReason,
				RecordedBy: c.recordedBy, CreatedAt: *c.createdAt}
		}
		return ic, err
	})
}

// classify sets each instrument's state and days left at now.
func classifyCalibrations(items []spectra.InstrumentCalibration, now time.Time, warnDays int) {
	for k := range items {
		ic := &items[k]
		var expires *time.Time
		if ic.Certificate != nil {
			expires = &ic.Certificate.ExpiresAt
			d := spectra.DaysLeft(*expires, now)
			ic.DaysLeft = &d
		}
		ic.State = spectra.CalibrationState(ic.Instrument.CalibrationRequired, expires, now, warnDays)
	}
}

func calibrationWarningDays(ctx context.Context, tx pgx.Tx, org uuid.UUID) (int, error) {
	var n int
	err := tx.QueryRow(ctx, `SELECT calibration_warning_days FROM organizations WHERE id = $1`, org).Scan(&n)
	return n, err
}

// CalibrationStatus is every instrument's calibration state at now, with
// counts per state, under the organization's warning window.
func (db *DB) CalibrationStatus(ctx context.Context, t Tenant, now time.Time) (spectra.CalibrationStatus, error) {
	st := spectra.CalibrationStatus{AsOf: now, Counts: map[spectra.CalState]int{}}
	err := db.InTenant(ctx, t, func(tx pgx.Tx) error {
		var err error
		if st.WarningDays, err = calibrationWarningDays(ctx, tx, t.OrgID); err != nil {
			return err
		}
		st.Items, err = effectiveCalibrations(ctx, tx, t.OrgID, nil)
		return err
	})
	if err != nil {
		return st, err
	}
	classifyCalibrations(st.Items, now, st.WarningDays)
	for _, s := range spectra.CalStates {
		st.Counts[s] = 0
	}
	for _, ic := range st.Items {
		st.Counts[ic.State]++
	}
	if st.Items == nil {
		st.Items = []spectra.InstrumentCalibration{}
	}
	return st, nil
}
