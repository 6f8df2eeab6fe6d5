package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"
)

// MapError and UnavailableError expose the error mapping to the external
// tests, which feed it errors from a real server.
var MapError = mapError

func UnavailableError(ctx context.Context, err error) error { return unavailableError(ctx, err) }

// Read exposes the one-round-trip read transaction to the external tests.
func (db *DB) Read(ctx context.Context, t Tenant, queue func(*pgx.Batch)) error {
	return db.read(ctx, t, queue)
}
