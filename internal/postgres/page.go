package postgres

import (
	"context"
	"encoding/base64"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/spectra-lab/spectra/internal/spectra"
)

// Page is the domain's spectra.Page: one page of a list, newest first.
type Page = spectra.Page

// The limits of a page.
const (
	DefaultLimit = spectra.DefaultLimit
	MaxLimit     = spectra.MaxLimit
)

// next returns the cursor after the last of n fetched ids (the query
// fetched Limit+1 to know whether more follow) and trims the surplus.
func next[T any](items []T, limit int, id func(T) uuid.UUID) ([]T, string) {
	if len(items) <= limit {
		return items, ""
	}
	items = items[:limit]
	last := id(items[limit-1])
	return items, base64.RawURLEncoding.EncodeToString(last[:])
}

// inTenant runs fn in t's tenant transaction and returns its value: the
// one shape of a read (or a write that answers) without the closure's
// captured variable.
func inTenant[T any](ctx context.Context, db *DB, t Tenant, fn func(pgx.Tx) (T, error)) (T, error) {
	var out T
	err := db.InTenant(ctx, t, func(tx pgx.Tx) error {
		var err error
		out, err = fn(tx)
		return err
	})
	return out, err
}

// listPage reads one page of a list in t's tenant transaction: query w
// (SELECT columns FROM from, newest id first, Limit+1 rows), each row
// scanned by scan, cut at p.Limit with the next page's cursor (id is a
// row's keyset key). Every keyset list of the store is this, and one
// round trip (read).
func listPage[T any](ctx context.Context, db *DB, t Tenant, p Page, w filter, columns, from, order string,
	scan func(pgx.Row) (T, error), id func(T) uuid.UUID) ([]T, string, error) {
	q, args := w.query(columns, from, order, p.Limit+1)
	var items []T
	err := db.read(ctx, t, func(b *pgx.Batch) {
		b.Queue(q, args...).Query(func(rows pgx.Rows) error {
			var err error
			items, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (T, error) { return scan(r) })
			return err
		})
	})
	if err != nil {
		return nil, "", err
	}
	items, cursor := next(items, p.Limit, id)
	return items, cursor, nil
}

// keyset is the filter every keyset list starts from: the organization's
// rows (alias a: "s" for s.organization_id) below the page's bound, live
// unless the table keeps no deleted_at (live false).
func keyset(a string, t Tenant, p Page, live bool) filter {
	w := filter{sql: a + ".organization_id = $1 AND " + a + ".id < $2", args: []any{t.OrgID, p.KeysetBound()}}
	if live {
		w.also(a + ".deleted_at IS NULL")
	}
	return w
}

// revisions adds the filters every revisioned kind's list takes.
func (w *filter) revisions(a string, f spectra.RevisionFilter) {
	if f.Status != "" {
		w.and(a+".status = ?", string(f.Status))
	}
	if f.LineageID != uuid.Nil {
		w.and(a+".lineage_id = ?", f.LineageID)
	}
}
