package postgres

import (
	"context"
	"encoding/hex"
	"errors"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/spectra-lab/spectra/internal/spectra"
)

// Files (PRODUCT.md §13): the rows that say what an object in the object
// store is, whose it is and what its bytes hash to. The store (package
// blobstore) holds the bytes; the API streams them in and out.

// fileOwnerColumn is the files column naming each kind of owner.
var fileOwnerColumn = map[spectra.FileOwnerKind]string{
	spectra.FileOfRun:         "run_id",
	spectra.FileOfCalibration: "calibration_id",
	spectra.FileOfELNEntry:    "eln_entry_id",
	spectra.FileOfSOP:         "sop_id",
}

const fileColumns = `f.id, f.run_id, f.calibration_id, f.eln_entry_id, f.sop_id, f.name, f.media_type, f.size_bytes, f.sha256, f.created_by, f.created_at`

func scanFile(r pgx.Row) (spectra.File, error) {
	var f spectra.File
	var run, cal, eln, sop *uuid.UUID
	var sum []byte
	if err := r.Scan(&f.ID, &run, &cal, &eln, &sop, &f.Name, &f.MediaType, &f.Size, &sum, &f.CreatedBy, &f.CreatedAt); err != nil {
		return f, err
	}
	f.SHA256 = hex.EncodeToString(sum)
	for kind, id := range map[spectra.FileOwnerKind]*uuid.UUID{spectra.FileOfRun: run, spectra.FileOfCalibration: cal, spectra.FileOfELNEntry: eln, spectra.FileOfSOP: sop} {
		if id != nil {
			f.OwnerKind, f.OwnerID = kind, *id
		}
	}
	return f, nil
}

// errFileNotFound: a missing file, a deleted one, or another organization's.
var errFileNotFound = spectra.Errorf(spectra.CodeNotFound, "file not found")

// fileOwner finds the owner in t's organization (CodeNotFound otherwise)
// and, when write is set, locks it and checks that its files may change
// now: a run that takes measurements (running or failed, by whoever may
// upload results to it: a completed run's files are immutable), a
// notebook entry not yet signed, an SOP revision still a draft; a
// calibration's certificate may be added while the calibration is on
// record.
func fileOwner(ctx context.Context, tx pgx.Tx, t Tenant, o spectra.FileOwner, write bool) error {
	_, err := lockFileOwner(ctx, tx, t, o, write)
	return err
}

// lockFileOwner is fileOwner that also returns, for a run's files written,
// the run it locked (runForResults): the series a file becomes is written
// on it without reading it again.
func lockFileOwner(ctx context.Context, tx pgx.Tx, t Tenant, o spectra.FileOwner, write bool) (spectra.Run, error) {
	if o.Kind == spectra.FileOfRun && write {
		return runForResults(ctx, tx, t, o.ID)
	}
	return spectra.Run{}, checkFileOwner(ctx, tx, t, o, write)
}

func checkFileOwner(ctx context.Context, tx pgx.Tx, t Tenant, o spectra.FileOwner, write bool) error {
	switch o.Kind {
	case spectra.FileOfRun:
		return exists(ctx, tx, `SELECT FROM runs WHERE organization_id = $1 AND id = $2 AND deleted_at IS NULL`, t.OrgID, o.ID, "run not found")
	case spectra.FileOfCalibration:
		q := `SELECT FROM calibrations WHERE organization_id = $1 AND id = $2`
		if write {
			q += ` FOR SHARE`
		}
		return exists(ctx, tx, q, t.OrgID, o.ID, "calibration not found")
	case spectra.FileOfELNEntry:
		if write {
			_, err := lockEntry(ctx, tx, t.OrgID, o.ID, "given attachments")
			return err
		}
		_, err := entry(ctx, tx, t.OrgID, o.ID, false)
		return err
	case spectra.FileOfSOP:
		if write {
			_, err := sopKind.lockDraft(ctx, tx, t.OrgID, o.ID, 0, 0)
			return err
		}
		_, err := sopKind.get(ctx, tx, t.OrgID, o.ID, false)
		return err
	}
	return spectra.Errorf(spectra.CodeInvalid, "files are not attached to %q", o.Kind)
}

// exists runs q (a SELECT of at most one row) and answers CodeNotFound
// with notFound when it finds nothing.
func exists(ctx context.Context, tx pgx.Tx, q string, org, id uuid.UUID, notFound string) error {
	tag, err := tx.Exec(ctx, q, org, id)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return spectra.Errorf(spectra.CodeNotFound, "%s", notFound)
	}
	return nil
}

// CheckFileOwner says, before an upload streams, whether t may attach a
// file to o now (or, with write false, read its files): the answer the
// upload's own transaction will give, unless the owner changes meanwhile.
func (db *DB) CheckFileOwner(ctx context.Context, t Tenant, o spectra.FileOwner, write bool) error {
	return db.InTenant(ctx, t, func(tx pgx.Tx) error { return fileOwner(ctx, tx, t, o, write) })
}

// AttachFile records nf, whose bytes are stored under nf.StorageKey, and,
// when ns is not nil (a run's file that a parser read), the series it
// became with the results derived from it, in one transaction. If the
// organization already stores an object with the same digest, the file
// names that one and reused is its key (the caller removes the object it
// just wrote); the two are the same bytes.
func (db *DB) AttachFile(ctx context.Context, t Tenant, nf spectra.NewFile, ns *spectra.NewDataSeries) (out spectra.StoredFile, reused string, err error) {
	col, ok := fileOwnerColumn[nf.Owner.Kind]
	if !ok {
		return out, "", spectra.Errorf(spectra.CodeInvalid, "files are not attached to %q", nf.Owner.Kind)
	}
	if nf.Owner.Kind != spectra.FileOfRun && ns != nil {
		return out, "", spectra.Errorf(spectra.CodeInvalid, "only a run's files become data series")
	}
	var w seriesWrite
	if ns != nil {
		if w, err = prepareSeries(*ns); err != nil {
			return out, "", err
		}
	}
	err = db.InTenant(ctx, t, func(tx pgx.Tx) error {
		run, err := lockFileOwner(ctx, tx, t, nf.Owner, true)
		if err != nil {
			return err
		}
		key := nf.StorageKey
		var existing string
		err = tx.QueryRow(ctx, `SELECT storage_key FROM files WHERE organization_id = $1 AND sha256 = $2 AND size_bytes = $3 LIMIT 1`,
			t.OrgID, nf.SHA256[:], nf.Size).Scan(&existing)
		switch {
		case err == nil:
			key, reused = existing, nf.StorageKey
		case !errors.Is(err, pgx.ErrNoRows):
			return err
		}
		out.File, err = scanFile(tx.QueryRow(ctx, `INSERT INTO files AS f (organization_id, `+col+`, name, media_type, size_bytes, sha256, storage_key, created_by)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING `+fileColumns,
			t.OrgID, nf.Owner.ID, nf.Name, nf.MediaType, nf.Size, nf.SHA256[:], key, nilUUID(t.UserID)))
		if err != nil {
			return mapError(err, "file")
		}
		if ns == nil {
			return nil
		}
		s, err := insertSeries(ctx, tx, t, run, w, &out.ID)
		out.Series = &s
		return err
	})
	if err != nil {
		return spectra.StoredFile{}, "", err
	}
	return out, reused, nil
}

// ListFiles lists o's files (not deleted), oldest first.
func (db *DB) ListFiles(ctx context.Context, t Tenant, o spectra.FileOwner) ([]spectra.File, error) {
	col, ok := fileOwnerColumn[o.Kind]
	if !ok {
		return nil, spectra.Errorf(spectra.CodeInvalid, "files are not attached to %q", o.Kind)
	}
	return inTenant(ctx, db, t, func(tx pgx.Tx) ([]spectra.File, error) {
		if err := fileOwner(ctx, tx, t, o, false); err != nil {
			return nil, err
		}
		rows, err := tx.Query(ctx, `SELECT `+fileColumns+` FROM files f
			WHERE f.organization_id = $1 AND f.`+col+` = $2 AND f.deleted_at IS NULL ORDER BY f.id`, t.OrgID, o.ID)
		if err != nil {
			return nil, err
		}
		files, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (spectra.File, error) { return scanFile(r) })
		if files == nil {
			files = []spectra.File{}
		}
		return files, err
	})
}

// FileDownload is what a download needs: the file and where its bytes are.
type FileDownload struct {
	spectra.File
	StorageKey string
}

// OpenFile finds o's file id for a download and records the download in
// the audit log (action DOWNLOAD), in one transaction: a download that
// is not on record does not start.
func (db *DB) OpenFile(ctx context.Context, t Tenant, o spectra.FileOwner, id uuid.UUID) (FileDownload, error) {
	col, ok := fileOwnerColumn[o.Kind]
	if !ok {
		return FileDownload{}, errFileNotFound
	}
	return inTenant(ctx, db, t, func(tx pgx.Tx) (FileDownload, error) {
		var d FileDownload
		row := tx.QueryRow(ctx, `SELECT `+fileColumns+`, f.storage_key FROM files f
			WHERE f.organization_id = $1 AND f.`+col+` = $2 AND f.id = $3 AND f.deleted_at IS NULL`, t.OrgID, o.ID, id)
		var err error
		d.File, err = scanFile(keyScanner{row, &d.StorageKey})
		if errors.Is(err, pgx.ErrNoRows) {
			return d, errFileNotFound
		}
		if err != nil {
			return d, err
		}
		_, err = tx.Exec(ctx, auditEventSQL, t.OrgID, "files", id, "DOWNLOAD",
			jsonb(map[string]any{"name": d.Name, "size_bytes": d.Size, "sha256": d.SHA256}))
		return d, err
	})
}

// auditEventSQL records an event the triggers cannot see ($1 organization,
// $2 table, $3 row, $4 action, $5 what): who, how and in which request
// come from the tenant transaction's settings, as the trigger's do.
const auditEventSQL = `INSERT INTO audit_log (organization_id, table_name, row_id, action, new_values, actor_id, actor_auth, request_id)
	VALUES ($1, $2, $3, $4, $5, nullif(current_setting('app.user_id', true), '')::uuid,
	        nullif(current_setting('app.auth', true), ''), nullif(current_setting('app.request_id', true), ''))`

// keyScanner scans a file row followed by its storage key.
type keyScanner struct {
	row pgx.Row
	key *string
}

func (k keyScanner) Scan(dest ...any) error { return k.row.Scan(append(dest, k.key)...) }

// DeleteFile soft-deletes o's file id (audited), when o's files may
// change now (fileOwner): a completed run's files stay.
func (db *DB) DeleteFile(ctx context.Context, t Tenant, o spectra.FileOwner, id uuid.UUID) error {
	col, ok := fileOwnerColumn[o.Kind]
	if !ok {
		return errFileNotFound
	}
	return db.InTenant(ctx, t, func(tx pgx.Tx) error {
		if err := fileOwner(ctx, tx, t, o, true); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `UPDATE files SET deleted_at = now(), deleted_by = $4
			WHERE organization_id = $1 AND `+col+` = $2 AND id = $3 AND deleted_at IS NULL`, t.OrgID, o.ID, id, nilUUID(t.UserID))
		if err != nil {
			return mapError(err, "file")
		}
		if tag.RowsAffected() == 0 {
			return errFileNotFound
		}
		return nil
	})
}
