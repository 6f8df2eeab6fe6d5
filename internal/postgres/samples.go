package postgres

import (
	"context"
	"errors"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/spectra-lab/spectra/internal/spectra"
)

// Samples, their wafers and the wafers' devices. A deleted sample hides its
// wafers and devices too (they come back with it when an admin restores
// it); a sample, wafer or device of another organization is CodeNotFound.

const sampleColumns = `s.id, s.barcode, s.name, s.material, s.project_id, s.status, s.location, s.holder, s.metadata,
	s.created_by, s.created_at, s.updated_at, s.version`

func scanSample(r pgx.Row) (spectra.Sample, error) {
	var s spectra.Sample
	err := r.Scan(&s.ID, &s.Barcode, &s.Name, &s.Material, &s.ProjectID, &s.Status, &s.Location, &s.Holder, (*[]byte)(&s.Metadata),
		&s.CreatedBy, &s.CreatedAt, &s.UpdatedAt, &s.Version)
	return s, err
}

// ListSamples lists the organization's live samples, newest first.
func (db *DB) ListSamples(ctx context.Context, t Tenant, f spectra.SampleFilter, p Page) ([]spectra.Sample, string, error) {
	w := keyset("s", t, p, true)
	if f.Barcode != "" {
		w.and(`s.barcode = ?`, f.Barcode)
	}
	if f.Status != "" {
		w.and(`s.status = ?`, string(f.Status))
	}
	if f.ProjectID != uuid.Nil {
		w.and(`s.project_id = ?`, f.ProjectID)
	}
	if f.Material != "" {
		w.and(`lower(s.material) = lower(?)`, f.Material)
	}
	if f.Q != "" {
		w.and(`(s.barcode ILIKE '%' || ? || '%' OR s.name ILIKE '%' || ? || '%' OR s.material ILIKE '%' || ? || '%')`, escapeLike(f.Q))
	}
	out, cursor, err := listPage(ctx, db, t, p, w, sampleColumns, "samples s", "s.id DESC", scanSample,
		func(s spectra.Sample) uuid.UUID { return s.ID })
	return out, cursor, mapError(err, "sample")
}

// Sample returns one live sample.
func (db *DB) Sample(ctx context.Context, t Tenant, id uuid.UUID) (spectra.Sample, error) {
	return inTenant(ctx, db, t, func(tx pgx.Tx) (spectra.Sample, error) { return sample(ctx, tx, t.OrgID, id, false) })
}

// sample reads a live sample; lock takes its row lock, which serializes
// every change to the sample, custody events included.
func sample(ctx context.Context, tx pgx.Tx, org, id uuid.UUID, lock bool) (spectra.Sample, error) {
	q := `SELECT ` + sampleColumns + ` FROM samples s WHERE s.organization_id = $1 AND s.id = $2 AND s.deleted_at IS NULL`
	if lock {
		q += ` FOR UPDATE`
	}
	s, err := scanSample(tx.QueryRow(ctx, q, org, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return s, spectra.Errorf(spectra.CodeNotFound, "sample not found")
	}
	return s, err
}

// checkProjectRef answers CodeInvalid naming project_id unless id is nil
// or a live project of the organization.
func checkProjectRef(ctx context.Context, tx pgx.Tx, org uuid.UUID, id *uuid.UUID) error {
	if id == nil {
		return nil
	}
	var ok bool
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT FROM projects WHERE organization_id = $1 AND id = $2 AND deleted_at IS NULL)`,
		org, *id).Scan(&ok); err != nil {
		return err
	}
	if !ok {
		return &spectra.Error{Code: spectra.CodeInvalid, Message: "project_id names no project of this organization",
			Fields: []spectra.FieldError{{Field: "project_id", Message: "no such project"}}}
	}
	return nil
}

// jsonObject is m as a jsonb object: nil is {} (the column holds objects only).
func jsonObject(m map[string]any) jsonValue {
	if m == nil {
		return jsonb(map[string]any{})
	}
	return jsonb(m)
}

// CreateSample registers a sample. A barcode already used in the
// organization is CodeConflict; a project that is not the organization's,
// or a final status, is CodeInvalid.
func (db *DB) CreateSample(ctx context.Context, t Tenant, d spectra.SampleDraft) (spectra.Sample, error) {
	if d.Status == "" {
		d.Status = spectra.SampleRegistered
	}
	if err := spectra.CheckSampleStatus("", d.Status); err != nil {
		return spectra.Sample{}, err
	}
	var s spectra.Sample
	err := db.InTenant(ctx, t, func(tx pgx.Tx) error {
		if err := checkProjectRef(ctx, tx, t.OrgID, d.ProjectID); err != nil {
			return err
		}
		var err error
		s, err = scanSample(tx.QueryRow(ctx, `INSERT INTO samples AS s (organization_id, barcode, name, material, project_id, status, location, metadata, created_by)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING `+sampleColumns,
			t.OrgID, d.Barcode, d.Name, d.Material, d.ProjectID, string(d.Status), d.Location, jsonObject(d.Metadata), nilUUID(t.UserID)))
		return err
	})
	return s, mapError(err, "sample")
}

// UpdateSample replaces a sample's fields (not its holder, which custody
// events own); an empty status keeps the sample's, since custody events
// move it and a form need not echo it. ifMatch and version, when
// non-zero, must be the sample's version (CodePrecondition,
// CodeConflict); status changes follow spectra.CheckSampleStatus.
func (db *DB) UpdateSample(ctx context.Context, t Tenant, id uuid.UUID, d spectra.SampleDraft, ifMatch, version int) (spectra.Sample, error) {
	var s spectra.Sample
	err := db.InTenant(ctx, t, func(tx pgx.Tx) error {
		cur, err := sample(ctx, tx, t.OrgID, id, true)
		if err != nil {
			return err
		}
		if err := checkVersion(staleWording{what: "sample", field: true}, cur.Version, ifMatch, version); err != nil {
			return err
		}
		if d.Status == "" {
			d.Status = cur.Status
		}
		if err := spectra.CheckSampleStatus(cur.Status, d.Status); err != nil {
			return err
		}
		if err := checkProjectRef(ctx, tx, t.OrgID, d.ProjectID); err != nil {
			return err
		}
		s, err = scanSample(tx.QueryRow(ctx, `UPDATE samples AS s SET barcode = $3, name = $4, material = $5, project_id = $6,
				status = $7, location = $8, metadata = $9
			WHERE s.organization_id = $1 AND s.id = $2 RETURNING `+sampleColumns,
			t.OrgID, id, d.Barcode, d.Name, d.Material, d.ProjectID, string(d.Status), d.Location, jsonObject(d.Metadata)))
		return err
	})
	return s, mapError(err, "sample")
}

// EditSampleStatus is a technician's limited edit: status and/or
// location. ifMatch, when non-zero, must be the sample's version
// (CodePrecondition).
func (db *DB) EditSampleStatus(ctx context.Context, t Tenant, id uuid.UUID, e spectra.SampleStatusEdit, ifMatch int) (spectra.Sample, error) {
	var s spectra.Sample
	err := db.InTenant(ctx, t, func(tx pgx.Tx) error {
		cur, err := sample(ctx, tx, t.OrgID, id, true)
		if err != nil {
			return err
		}
		if err := checkVersion(staleWording{what: "sample", field: true}, cur.Version, ifMatch, 0); err != nil {
			return err
		}
		if err := cur.Allows(spectra.SampleUpdateStatus); err != nil {
			return err
		}
		status, location := cur.Status, cur.Location
		if e.Status != nil {
			status = *e.Status
		}
		if e.Location != nil {
			location = *e.Location
		}
		if err := spectra.CheckSampleStatus(cur.Status, status); err != nil {
			return err
		}
		s, err = scanSample(tx.QueryRow(ctx, `UPDATE samples AS s SET status = $3, location = $4
			WHERE s.organization_id = $1 AND s.id = $2 RETURNING `+sampleColumns, t.OrgID, id, string(status), location))
		return err
	})
	return s, mapError(err, "sample")
}

// DeleteSample soft-deletes a sample, and with it (for readers) its
// wafers, devices and custody events; an admin can restore it.
func (db *DB) DeleteSample(ctx context.Context, t Tenant, id uuid.UUID, ifMatch int) error {
	err := db.InTenant(ctx, t, func(tx pgx.Tx) error {
		cur, err := sample(ctx, tx, t.OrgID, id, true)
		if err != nil {
			return err
		}
		if err := checkVersion(staleWording{what: "sample", field: true}, cur.Version, ifMatch, 0); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE samples SET deleted_at = now() WHERE organization_id = $1 AND id = $2`, t.OrgID, id)
		return err
	})
	return mapError(err, "sample")
}

const waferColumns = `w.id, w.sample_id, w.label, w.diameter_mm::float8, w.notes, w.metadata, w.created_by, w.created_at, w.updated_at, w.version`

func scanWafer(r pgx.Row) (spectra.Wafer, error) {
	var w spectra.Wafer
	err := r.Scan(&w.ID, &w.SampleID, &w.Label, &w.DiameterMM, &w.Notes, (*[]byte)(&w.Metadata), &w.CreatedBy, &w.CreatedAt, &w.UpdatedAt, &w.Version)
	return w, err
}

// ListWafers lists a live sample's wafers, newest first; a sample that is
// not (or no longer) there is CodeNotFound.
func (db *DB) ListWafers(ctx context.Context, t Tenant, sampleID uuid.UUID, p Page) ([]spectra.Wafer, string, error) {
	var out []spectra.Wafer
	err := db.InTenant(ctx, t, func(tx pgx.Tx) error {
		if _, err := sample(ctx, tx, t.OrgID, sampleID, false); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT `+waferColumns+` FROM wafers w
			WHERE w.organization_id = $1 AND w.sample_id = $2 AND w.deleted_at IS NULL AND w.id < $3
			ORDER BY w.id DESC LIMIT $4`, t.OrgID, sampleID, p.KeysetBound(), p.Limit+1)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (spectra.Wafer, error) { return scanWafer(r) })
		return err
	})
	if err != nil {
		return nil, "", mapError(err, "wafer")
	}
	out, cursor := next(out, p.Limit, func(w spectra.Wafer) uuid.UUID { return w.ID })
	return out, cursor, nil
}

// CreateWafer adds a wafer to a live sample (CodeNotFound otherwise). A
// label the sample's wafers already use is CodeConflict.
func (db *DB) CreateWafer(ctx context.Context, t Tenant, sampleID uuid.UUID, d spectra.WaferDraft) (spectra.Wafer, error) {
	var w spectra.Wafer
	err := db.InTenant(ctx, t, func(tx pgx.Tx) error {
		// The lock keeps the sample from being deleted or disposed of meanwhile.
		smp, err := sample(ctx, tx, t.OrgID, sampleID, true)
		if err != nil {
			return err
		}
		if err := smp.Allows(spectra.SampleAddWafer); err != nil {
			return err
		}
		w, err = scanWafer(tx.QueryRow(ctx, `INSERT INTO wafers AS w (organization_id, sample_id, label, diameter_mm, notes, metadata, created_by)
			VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING `+waferColumns,
			t.OrgID, sampleID, d.Label, d.DiameterMM, d.Notes, jsonObject(d.Metadata), nilUUID(t.UserID)))
		return err
	})
	return w, mapError(err, "wafer")
}

// A device is live when it, its wafer and the wafer's sample are.
const deviceFrom = `devices d
	JOIN wafers w ON w.organization_id = d.organization_id AND w.id = d.wafer_id AND w.deleted_at IS NULL
	JOIN samples s ON s.organization_id = w.organization_id AND s.id = w.sample_id AND s.deleted_at IS NULL`

const deviceColumns = `d.id, d.wafer_id, w.sample_id, d.name, d.kind, d.position, d.metadata, d.created_by, d.created_at, d.updated_at, d.version`

func scanDevice(r pgx.Row) (spectra.Device, error) {
	var d spectra.Device
	err := r.Scan(&d.ID, &d.WaferID, &d.SampleID, &d.Name, &d.Kind, &d.Position, (*[]byte)(&d.Metadata), &d.CreatedBy, &d.CreatedAt, &d.UpdatedAt, &d.Version)
	return d, err
}

// ListDevices lists the organization's live devices, newest first.
func (db *DB) ListDevices(ctx context.Context, t Tenant, f spectra.DeviceFilter, p Page) ([]spectra.Device, string, error) {
	w := filter{sql: `d.organization_id = $1 AND d.deleted_at IS NULL AND d.id < $2`, args: []any{t.OrgID, p.KeysetBound()}}
	if f.WaferID != uuid.Nil {
		w.and(`d.wafer_id = ?`, f.WaferID)
	}
	if f.SampleID != uuid.Nil {
		w.and(`w.sample_id = ?`, f.SampleID)
	}
	out, cursor, err := listPage(ctx, db, t, p, w, deviceColumns, deviceFrom, "d.id DESC", scanDevice,
		func(d spectra.Device) uuid.UUID { return d.ID })
	return out, cursor, mapError(err, "device")
}

// Device returns one live device.
func (db *DB) Device(ctx context.Context, t Tenant, id uuid.UUID) (spectra.Device, error) {
	return inTenant(ctx, db, t, func(tx pgx.Tx) (spectra.Device, error) { return device(ctx, tx, t.OrgID, id, false) })
}

func device(ctx context.Context, tx pgx.Tx, org, id uuid.UUID, lock bool) (spectra.Device, error) {
	q := `SELECT ` + deviceColumns + ` FROM ` + deviceFrom + ` WHERE d.organization_id = $1 AND d.id = $2 AND d.deleted_at IS NULL`
	if lock {
		q += ` FOR UPDATE OF d`
	}
	d, err := scanDevice(tx.QueryRow(ctx, q, org, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return d, spectra.Errorf(spectra.CodeNotFound, "device not found")
	}
	return d, err
}

// CreateDevice adds a device to a wafer. A wafer that is not a live wafer
// of the organization is CodeInvalid naming wafer_id; a name the wafer's
// devices already use is CodeConflict.
func (db *DB) CreateDevice(ctx context.Context, t Tenant, d spectra.DeviceDraft) (spectra.Device, error) {
	var out spectra.Device
	err := db.InTenant(ctx, t, func(tx pgx.Tx) error {
		// The wafer's sample, locked as for a new wafer: its status decides.
		var sampleID uuid.UUID
		err := tx.QueryRow(ctx, `SELECT w.sample_id FROM wafers w
			WHERE w.organization_id = $1 AND w.id = $2 AND w.deleted_at IS NULL`, t.OrgID, d.WaferID).Scan(&sampleID)
		var smp spectra.Sample
		if err == nil {
			smp, err = sample(ctx, tx, t.OrgID, sampleID, true)
		}
		if errors.Is(err, pgx.ErrNoRows) || spectra.ErrorCode(err) == spectra.CodeNotFound {
			return &spectra.Error{Code: spectra.CodeInvalid, Message: "wafer_id names no wafer of this organization",
				Fields: []spectra.FieldError{{Field: "wafer_id", Message: "no such wafer"}}}
		}
		if err != nil {
			return err
		}
		if err := smp.Allows(spectra.SampleAddWafer); err != nil {
			return err
		}
		var id uuid.UUID
		if err := tx.QueryRow(ctx, `INSERT INTO devices (organization_id, wafer_id, name, kind, position, metadata, created_by)
			VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
			t.OrgID, d.WaferID, d.Name, d.Kind, d.Position, jsonObject(d.Metadata), nilUUID(t.UserID)).Scan(&id); err != nil {
			return err
		}
		out, err = device(ctx, tx, t.OrgID, id, false)
		return err
	})
	return out, mapError(err, "device")
}

// UpdateDevice replaces a device's name, kind, position and metadata (its
// wafer stays). ifMatch and version as for UpdateSample.
func (db *DB) UpdateDevice(ctx context.Context, t Tenant, id uuid.UUID, d spectra.DeviceDraft, ifMatch, version int) (spectra.Device, error) {
	var out spectra.Device
	err := db.InTenant(ctx, t, func(tx pgx.Tx) error {
		cur, err := device(ctx, tx, t.OrgID, id, true)
		if err != nil {
			return err
		}
		if err := checkVersion(staleWording{what: "device", field: true}, cur.Version, ifMatch, version); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE devices SET name = $3, kind = $4, position = $5, metadata = $6
			WHERE organization_id = $1 AND id = $2`, t.OrgID, id, d.Name, d.Kind, d.Position, jsonObject(d.Metadata)); err != nil {
			return err
		}
		out, err = device(ctx, tx, t.OrgID, id, false)
		return err
	})
	return out, mapError(err, "device")
}
