package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/spectra-lab/spectra/internal/spectra"
)

// Retry-After of the answers unavailableError gives: a database that is
// down or restarting is back in seconds (the managed cluster restarts in
// about one); a lock or a slow statement is worth retrying sooner.
const (
	retryOutage  = 5 * time.Second
	retryBusy    = 1 * time.Second
	retryTimeout = 5 * time.Second
)

// unavailableError is the one place that tells a failure of the database
// itself — down, restarting, out of connections or space, a statement or
// lock wait over its bound — from a failure of the request. The first kind
// becomes CodeUnavailable with a Retry-After (503): the client did nothing
// wrong and may try again. Everything else passes through unchanged: a
// *spectra.Error keeps its code, the caller's own cancellation stays a
// context error (a client that hung up), the rest is internal (500).
// Every transaction entry point (InTenant, authTx, ownerTx) returns through it.
func unavailableError(ctx context.Context, err error) error {
	var se *spectra.Error
	if err == nil || errors.As(err, &se) || ctx.Err() != nil {
		return err
	}
	unavailable := func(msg string, retry time.Duration) error {
		return &spectra.Error{Code: spectra.CodeUnavailable, Message: msg, RetryAfter: retry, Err: err}
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch {
		case strings.HasPrefix(pgErr.Code, "08"), // connection_exception
			pgErr.Code == "57P01", pgErr.Code == "57P02", pgErr.Code == "57P03", // admin/crash shutdown, cannot connect now
			pgErr.Code == "53300": // too_many_connections
			return unavailable("the database is unavailable; try again shortly", retryOutage)
		case pgErr.Code == "53100": // disk_full
			return unavailable("the database is out of storage space; try again later", retryOutage)
		case pgErr.Code == "55P03": // lock_not_available: lock_timeout
			return unavailable("the record is busy; try again", retryBusy)
		case pgErr.Code == "40P01", pgErr.Code == "40001": // deadlock, serialization failure
			return unavailable("the request collided with another; try again", retryBusy)
		case pgErr.Code == "57014": // query_canceled, and not by us: statement_timeout
			return unavailable("the database took too long to answer; try again later", retryTimeout)
		}
		return err
	}
	if lostConnection(err) {
		return unavailable("the database is unavailable; try again shortly", retryOutage)
	}
	return err
}

// lostConnection reports an error of reaching the server rather than of a
// statement: no socket, refused, reset, cut off mid-answer.
func lostConnection(err error) bool {
	var connectErr *pgconn.ConnectError
	var netErr net.Error
	switch {
	case errors.As(err, &connectErr), errors.As(err, &netErr):
		return true
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, net.ErrClosed),
		errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE),
		errors.Is(err, syscall.ENOENT):
		return true
	}
	// pgx reports a connection it already knows to be dead without a typed cause.
	return strings.Contains(err.Error(), "conn closed") || pgconn.SafeToRetry(err)
}

// isRLSRefusal reports whether a 42501 is row-level security refusing a
// row (another organization's, answered as not found) rather than a
// missing privilege or an unreadable file, which an operator must see.
func isRLSRefusal(pgErr *pgconn.PgError) bool {
	return pgErr.Code == "42501" && strings.Contains(pgErr.Message, "row-level security")
}

// msString is d as a PostgreSQL duration setting, in milliseconds.
func msString(d time.Duration) string { return fmt.Sprintf("%d", d.Milliseconds()) }
