package postgres

import (
	"context"
	"encoding/json"
	"slices"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/spectra-lab/spectra/internal/spectra"
)

// ListAudit pages through the organization's audit log, newest first.
func (db *DB) ListAudit(ctx context.Context, t Tenant, f spectra.AuditFilter, p Page) ([]spectra.AuditEntry, string, error) {
	w := filter{sql: `a.organization_id = $1 AND a.id < $2`, args: []any{t.OrgID, p.KeysetBound()}}
	if f.Table != "" {
		w.and(`a.table_name = ?`, f.Table)
	}
	if f.RowID != uuid.Nil {
		w.and(`a.row_id = ?`, f.RowID)
	}
	if f.ActorID != uuid.Nil {
		w.and(`a.actor_id = ?`, f.ActorID)
	}
	if f.Action != "" {
		w.and(`a.action = upper(?)`, f.Action)
	}
	if !f.From.IsZero() {
		w.and(`a.at >= ?`, f.From)
	}
	if !f.To.IsZero() {
		w.and(`a.at < ?`, f.To)
	}
	q, args := w.query(`a.id, a.at, a.table_name, a.row_id, a.action, a.old_values, a.new_values, a.actor_id,
			       coalesce(u.email, ''), coalesce(a.actor_auth, ''), coalesce(a.request_id, '')`,
		"audit_log a LEFT JOIN users u ON u.id = a.actor_id", "a.id DESC", p.Limit+1)
	var out []spectra.AuditEntry
	err := db.InTenant(ctx, t, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, q, args...)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (spectra.AuditEntry, error) {
			var e spectra.AuditEntry
			var oldJ, newJ []byte
			err := r.Scan(&e.ID, &e.At, &e.Table, &e.RowID, &e.Action, &oldJ, &newJ, &e.ActorID, &e.Actor, &e.ActorAuth, &e.RequestID)
			if err == nil && oldJ != nil {
				err = json.Unmarshal(oldJ, &e.Old)
			}
			if err == nil && newJ != nil {
				err = json.Unmarshal(newJ, &e.New)
			}
			return e, err
		})
		return err
	})
	if err != nil {
		return nil, "", err
	}
	out, cursor := next(out, p.Limit, func(e spectra.AuditEntry) uuid.UUID { return e.ID })
	return out, cursor, nil
}

// SoftDeletable lists the tables whose rows are deleted by setting
// deleted_at, and which an admin may list and restore.
var SoftDeletable = []string{
	"memberships", "projects", "samples", "wafers", "devices", "instruments", "recipes", "sops",
	"eln_entries", "runs", "spc_series", "feature_sets", "models",
}

func softDeletable(table string) error {
	if !slices.Contains(SoftDeletable, table) {
		return &spectra.Error{Code: spectra.CodeInvalid, Message: "not a table with restorable rows",
			Fields: []spectra.FieldError{{Field: "table", Message: "one of the tables with soft delete"}}}
	}
	return nil
}

// ListDeleted pages through the soft-deleted rows of table, newest first.
func (db *DB) ListDeleted(ctx context.Context, t Tenant, table string, p Page) ([]spectra.DeletedRow, string, error) {
	if err := softDeletable(table); err != nil {
		return nil, "", err
	}
	var out []spectra.DeletedRow
	err := db.InTenant(ctx, t, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT id, deleted_at, to_jsonb(r) FROM `+pgx.Identifier{table}.Sanitize()+` r
			WHERE organization_id = $1 AND deleted_at IS NOT NULL AND id < $2 ORDER BY id DESC LIMIT $3`,
			t.OrgID, p.KeysetBound(), p.Limit+1)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (spectra.DeletedRow, error) {
			var d spectra.DeletedRow
			var raw []byte
			if err := r.Scan(&d.ID, &d.DeletedAt, &raw); err != nil {
				return d, err
			}
			return d, json.Unmarshal(raw, &d.Row)
		})
		return err
	})
	if err != nil {
		return nil, "", err
	}
	out, cursor := next(out, p.Limit, func(d spectra.DeletedRow) uuid.UUID { return d.ID })
	return out, cursor, nil
}

// Restore undeletes row id of table. CodeNotFound when no such deleted row
// exists in the organization; CodeConflict when restoring would clash with
// a live row (a re-used unique key).
func (db *DB) Restore(ctx context.Context, t Tenant, table string, id uuid.UUID) error {
	if err := softDeletable(table); err != nil {
		return err
	}
	return db.InTenant(ctx, t, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE `+pgx.Identifier{table}.Sanitize()+` SET deleted_at = NULL
			WHERE organization_id = $1 AND id = $2 AND deleted_at IS NOT NULL`, t.OrgID, id)
		if err != nil {
			return mapError(err, "row")
		}
		if tag.RowsAffected() == 0 {
			return spectra.Errorf(spectra.CodeNotFound, "no deleted row %s in %s", id, table)
		}
		return nil
	})
}
