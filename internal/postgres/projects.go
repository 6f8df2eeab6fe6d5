package postgres

import (
	"context"
	"errors"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

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
	w := keyset("p", t, p, true)
	if f.Q != "" {
		w.and(`(p.code ILIKE '%' || ? || '%' OR p.name ILIKE '%' || ? || '%')`, escapeLike(f.Q))
	}
	if f.Status != "" {
		w.and(`p.status = ?`, string(f.Status))
	}
	out, cursor, err := listPage(ctx, db, t, p, w, projectColumns, "projects p", "p.id DESC", scanProject,
		func(p spectra.Project) uuid.UUID { return p.ID })
	return out, cursor, mapError(err, "project")
}

// Project returns one live project.
func (db *DB) Project(ctx context.Context, t Tenant, id uuid.UUID) (spectra.Project, error) {
	return inTenant(ctx, db, t, func(tx pgx.Tx) (spectra.Project, error) { return project(ctx, tx, t.OrgID, id, false) })
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
	return p, mapError(err, "project")
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
	return p, mapError(err, "project")
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
	return mapError(err, "project")
}
