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

// mapError is the one place that turns PostgreSQL errors into domain
// errors; what names the resource the statement wrote:
//
//   - unique violation → conflict, check/foreign-key/not-null violation or
//     a malformed value → invalid, each naming the body field its
//     constraint guards when constraintAnswers knows it;
//   - a value PostgreSQL cannot hold (a NUL character, an untranslatable
//     byte sequence, a value beyond a built-in limit) → invalid;
//   - a row-level-security refusal → not found (another organization's row
//     is answered like a missing one). SQLSTATE 42501 is also PostgreSQL's
//     code for a missing privilege and an unreadable file: those stay
//     internal errors (500, logged), never a quiet 404.
//
// With what empty — InTenant's catch-all for whatever its function
// returns — only the refusals of a value itself are answered, since any
// statement may meet them, and an error already answered keeps its answer;
// constraint and security errors are left to the store method that knows
// the resource (unmapped, they are internal errors).
func mapError(err error, what string) error {
	var pgErr *pgconn.PgError
	if err == nil || !errors.As(err, &pgErr) {
		return err
	}
	var se *spectra.Error
	if what == "" && errors.As(err, &se) {
		return err
	}
	if e := valueRefusal(pgErr, what); e != nil {
		e.Err = err
		return e
	}
	if what == "" {
		return err
	}
	var code spectra.Code
	switch pgErr.Code {
	case "23505":
		code = spectra.CodeConflict
	case "23514", "23503", "23502", "22P02", "22001":
		code = spectra.CodeInvalid
	case "42501":
		if !isRLSRefusal(pgErr) {
			return err
		}
		return &spectra.Error{Code: spectra.CodeNotFound, Message: fmt.Sprintf("%s not found", what), Err: err}
	default:
		return err
	}
	e := &spectra.Error{Code: code, Err: err}
	a, named := constraintAnswers[pgErr.ConstraintName]
	switch {
	case named && a.message != "":
		e.Message = a.message
	case named && a.fieldMessage != "":
		e.Message = a.field + " " + a.fieldMessage
	case named && code == spectra.CodeConflict:
		e.Message = fmt.Sprintf("this %s is already used by another %s (a deleted %s keeps its %s: restore it instead)", a.field, what, what, a.field)
	case code == spectra.CodeConflict:
		e.Message = fmt.Sprintf("%s already exists", what)
	default:
		e.Message = fmt.Sprintf("%s is invalid (%s)", what, pgErr.ConstraintName)
	}
	if named {
		msg := a.fieldMessage
		switch {
		case msg != "":
		case code == spectra.CodeConflict:
			msg = "already used"
		default:
			msg = "invalid"
		}
		e.Fields = []spectra.FieldError{{Field: a.field, Message: msg}}
	}
	return e
}

// valueRefusal answers PostgreSQL's refusal of a value itself, or nil.
// Bad input is the client's to fix, never a 500.
func valueRefusal(pgErr *pgconn.PgError, what string) *spectra.Error {
	switch pgErr.Code {
	case "22021", "22P05": // character_not_in_repertoire, untranslatable_character
		if !ownNULWording[what] {
			return &spectra.Error{Code: spectra.CodeInvalid, Message: "the text holds a character that cannot be stored (such as NUL)"}
		}
		if pgErr.Code == "22P05" { // jsonb: the only JSON column of these is the metadata
			return &spectra.Error{Code: spectra.CodeInvalid, Message: "metadata may not contain NUL characters",
				Fields: []spectra.FieldError{{Field: "metadata", Message: "may not contain NUL characters"}}}
		}
		return &spectra.Error{Code: spectra.CodeInvalid, Message: "text may not contain NUL characters"}
	case "54000": // program_limit_exceeded: a tsvector over 1 MB
		return &spectra.Error{Code: spectra.CodeInvalid, Message: "a value is too large to store"}
	}
	return nil
}

// isUniqueViolation reports whether err is a unique violation, for a
// caller that answers a race of its own (an insert that lost to another).
func isUniqueViolation(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "23505"
}

// ownNULWording names the resources whose NUL refusal has its own wording
// (the LIMS ones, whose one JSON column is the metadata).
var ownNULWording = map[string]bool{"project": true, "sample": true, "wafer": true, "device": true, "custody event": true}

// constraintAnswer is how mapError answers the violation of one named
// constraint: the body field it guards and, where a resource words it its
// own way, the messages. With fieldMessage empty the field says "already
// used" (a unique) or "invalid"; with message empty the problem's message
// is "<field> <fieldMessage>", or for a unique without fieldMessage that
// the value is used by another row, and otherwise the generic one.
type constraintAnswer struct {
	field        string
	fieldMessage string
	message      string
}

// constraintAnswers names the body field behind the unique, check and
// foreign-key constraints a client can break, so a 409 or 422 says which
// value failed. Constraint names are per table, so each key here must be
// unique in the schema (all but check_cert_dates are table-prefixed, and
// that one is the schema's only constraint of its name).
var constraintAnswers = map[string]constraintAnswer{
	// LIMS
	"projects_organization_id_code_key":          {field: "code"},
	"projects_code_check":                        {field: "code"},
	"projects_name_check":                        {field: "name"},
	"projects_status_check":                      {field: "status"},
	"samples_organization_id_barcode_key":        {field: "barcode"},
	"samples_barcode_check":                      {field: "barcode"},
	"samples_name_check":                         {field: "name"},
	"samples_status_check":                       {field: "status"},
	"samples_metadata_check":                     {field: "metadata"},
	"samples_organization_id_project_id_fkey":    {field: "project_id"},
	"wafers_organization_id_sample_id_label_key": {field: "label"},
	"wafers_label_check":                         {field: "label"},
	"wafers_diameter_mm_check":                   {field: "diameter_mm"},
	"wafers_metadata_check":                      {field: "metadata"},
	"devices_organization_id_wafer_id_name_key":  {field: "name"},
	"devices_name_check":                         {field: "name"},
	"devices_metadata_check":                     {field: "metadata"},
	"devices_organization_id_wafer_id_fkey":      {field: "wafer_id"},
	"custody_events_event_type_check":            {field: "event_type"},

	// instruments and analysis
	"instruments_organization_id_name_key": {field: "name", fieldMessage: "already used by another instrument",
		message: "an instrument with this name already exists"},
	"calibrations_organization_id_instrument_id_certificate_numb_key": {field: "certificate_number",
		fieldMessage: "already recorded for this instrument"},
	"check_cert_dates":                    {field: "expires_at", fieldMessage: "must be after issued_at"},
	"spc_series_organization_id_name_key": {field: "name", fieldMessage: "already used by another series"},
	"models_artifact_uri_check":           {field: "artifact_uri", fieldMessage: "is not an artifact URI this model's status allows"},
	"models_artifact_required_check":      {field: "artifact_uri", fieldMessage: "is not an artifact URI this model's status allows"},
	"models_metrics_numbers_check":        {field: "metrics", fieldMessage: "values must be numbers"},
}

// msString is d as a PostgreSQL duration setting, in milliseconds.
func msString(d time.Duration) string { return fmt.Sprintf("%d", d.Milliseconds()) }
