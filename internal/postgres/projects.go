package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/spectra-lab/spectra/internal/spectra"
)

// Projects. Like every LIMS store method, each runs in the caller's tenant
// transaction and filters by the organization besides RLS; a project of
// another organization, or a deleted one, is CodeNotFound.

const projectColumns = `id, code, name, description, status, created_by, created_at, updated_at, version`

func scanProject(r pgx.Row) (spectra.Project, error) {
	var p spectra.Project
	err := r.Scan(&p.ID, &p.Code, &p.Name, &p.Description, &p.Status, &p.CreatedBy, &p.CreatedAt, &p.UpdatedAt, &p.Version)
	return p, err
}

// ListProjects lists the organization's projects, newest first.
func (db *DB) ListProjects(ctx context.Context, t Tenant, f spectra.ProjectFilter, p Page) ([]spectra.Project, string, error) {
	var out []spectra.Project
	err := db.InTenant(ctx, t, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT `+projectColumns+` FROM projects
			WHERE organization_id = $1 AND deleted_at IS NULL AND id < $2
			  AND ($3 = '' OR code ILIKE '%' || $3 || '%' OR name ILIKE '%' || $3 || '%')
			  AND ($4 = '' OR status = $4)
			ORDER BY id DESC LIMIT $5`, t.OrgID, p.after(), escapeLike(f.Q), string(f.Status), p.Limit+1)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (spectra.Project, error) { return scanProject(r) })
		return err
	})
	if err != nil {
		return nil, "", limsError(err, "project")
	}
	out, cursor := next(out, p.Limit, func(p spectra.Project) uuid.UUID { return p.ID })
	return out, cursor, nil
}

// Project returns one live project.
func (db *DB) Project(ctx context.Context, t Tenant, id uuid.UUID) (spectra.Project, error) {
	var p spectra.Project
	err := db.InTenant(ctx, t, func(tx pgx.Tx) error {
		var err error
		p, err = project(ctx, tx, t.OrgID, id, false)
		return err
	})
	return p, err
}

func project(ctx context.Context, tx pgx.Tx, org, id uuid.UUID, lock bool) (spectra.Project, error) {
	q := `SELECT ` + projectColumns + ` FROM projects WHERE organization_id = $1 AND id = $2 AND deleted_at IS NULL`
	if lock {
		q += ` FOR UPDATE`
	}
	p, err := scanProject(tx.QueryRow(ctx, q, org, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return p, spectra.Errorf(spectra.CodeNotFound, "project not found")
	}
	return p, err
}

// CreateProject adds a project, active unless d says otherwise. A code
// the organization already uses (by a live or a deleted project) is
// CodeConflict.
func (db *DB) CreateProject(ctx context.Context, t Tenant, d spectra.ProjectDraft) (spectra.Project, error) {
	if d.Status == "" {
		d.Status = spectra.ProjectActive
	}
	var p spectra.Project
	err := db.InTenant(ctx, t, func(tx pgx.Tx) error {
		var err error
		p, err = scanProject(tx.QueryRow(ctx, `INSERT INTO projects (organization_id, code, name, description, status, created_by)
			VALUES ($1, $2, $3, $4, $5, $6) RETURNING `+projectColumns,
			t.OrgID, d.Code, d.Name, d.Description, string(d.Status), nilUUID(t.UserID)))
		return err
	})
	return p, limsError(err, "project")
}

// UpdateProject replaces a project's fields; an empty status keeps the
// project's. ifMatch (If-Match) and
// version (the body's), when non-zero, must be the project's version:
// CodePrecondition and CodeConflict otherwise.
func (db *DB) UpdateProject(ctx context.Context, t Tenant, id uuid.UUID, d spectra.ProjectDraft, ifMatch, version int) (spectra.Project, error) {
	var p spectra.Project
	err := db.InTenant(ctx, t, func(tx pgx.Tx) error {
		cur, err := project(ctx, tx, t.OrgID, id, true)
		if err != nil {
			return err
		}
		if err := checkVersion(staleWording{what: "project", field: true}, cur.Version, ifMatch, version); err != nil {
			return err
		}
		if d.Status == "" {
			d.Status = cur.Status
		}
		p, err = scanProject(tx.QueryRow(ctx, `UPDATE projects SET code = $3, name = $4, description = $5, status = $6
			WHERE organization_id = $1 AND id = $2 RETURNING `+projectColumns,
			t.OrgID, id, d.Code, d.Name, d.Description, string(d.Status)))
		return err
	})
	return p, limsError(err, "project")
}

// DeleteProject soft-deletes a project (an admin can restore it). A
// project that live samples still belong to is CodeConflict: archive it
// instead, or move the samples first, so that no sample points at a
// project nobody can read.
func (db *DB) DeleteProject(ctx context.Context, t Tenant, id uuid.UUID, ifMatch int) error {
	err := db.InTenant(ctx, t, func(tx pgx.Tx) error {
		cur, err := project(ctx, tx, t.OrgID, id, true)
		if err != nil {
			return err
		}
		if err := checkVersion(staleWording{what: "project", field: true}, cur.Version, ifMatch, 0); err != nil {
			return err
		}
		var n int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM samples WHERE organization_id = $1 AND project_id = $2 AND deleted_at IS NULL`,
			t.OrgID, id).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return spectra.Errorf(spectra.CodeConflict, "project %s still has %d samples: archive it, or move them first", cur.Code, n)
		}
		_, err = tx.Exec(ctx, `UPDATE projects SET deleted_at = now() WHERE organization_id = $1 AND id = $2`, t.OrgID, id)
		return err
	})
	return limsError(err, "project")
}

// limsConstraintFields names the body field behind each unique, check and
// foreign key of the LIMS tables, so a 409 or 422 says which value failed.
var limsConstraintFields = map[string]string{
	"projects_organization_id_code_key":          "code",
	"projects_code_check":                        "code",
	"projects_name_check":                        "name",
	"projects_status_check":                      "status",
	"samples_organization_id_barcode_key":        "barcode",
	"samples_barcode_check":                      "barcode",
	"samples_name_check":                         "name",
	"samples_status_check":                       "status",
	"samples_metadata_check":                     "metadata",
	"samples_organization_id_project_id_fkey":    "project_id",
	"wafers_organization_id_sample_id_label_key": "label",
	"wafers_label_check":                         "label",
	"wafers_diameter_mm_check":                   "diameter_mm",
	"wafers_metadata_check":                      "metadata",
	"devices_organization_id_wafer_id_name_key":  "name",
	"devices_name_check":                         "name",
	"devices_metadata_check":                     "metadata",
	"devices_organization_id_wafer_id_fkey":      "wafer_id",
	"custody_events_event_type_check":            "event_type",
}

// limsError maps a LIMS store error: like mapError, naming the field of
// the constraint that failed, and answering text PostgreSQL cannot store
// (a NUL character) as CodeInvalid rather than an internal error.
func limsError(err error, what string) error {
	var pgErr *pgconn.PgError
	if err == nil || !errors.As(err, &pgErr) {
		return err
	}
	switch pgErr.Code {
	case "22P05": // jsonb: the only JSON columns here are the metadata
		return &spectra.Error{Code: spectra.CodeInvalid, Message: "metadata may not contain NUL characters", Err: err,
			Fields: []spectra.FieldError{{Field: "metadata", Message: "may not contain NUL characters"}}}
	case "22021":
		return &spectra.Error{Code: spectra.CodeInvalid, Message: "text may not contain NUL characters", Err: err}
	}
	mapped := mapError(err, what)
	var se *spectra.Error
	if field := limsConstraintFields[pgErr.ConstraintName]; field != "" && errors.As(mapped, &se) {
		msg := "invalid"
		if se.Code == spectra.CodeConflict {
			msg = "already used"
			se.Message = fmt.Sprintf("this %s is already used by another %s (a deleted %s keeps its %s: restore it instead)", field, what, what, field)
		}
		se.Fields = []spectra.FieldError{{Field: field, Message: msg}}
	}
	return mapped
}
