package postgres

import "context"

// MapError and UnavailableError expose the error mapping to the external
// tests, which feed it errors from a real server.
var MapError = mapError

func UnavailableError(ctx context.Context, err error) error { return unavailableError(ctx, err) }
