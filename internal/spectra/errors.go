// Package spectra is the domain: roles and the permission matrix, the
// principal, the error type and its codes, and the pure rules. It imports no
// adapter.
package spectra

import (
	"errors"
	"fmt"
	"time"
)

// Code classifies an error; the HTTP layer maps each code to one status.
type Code string

// The error codes.
const (
	CodeInvalid              Code = "invalid"               // 422: the request is malformed or breaks a rule
	CodeUnauthenticated      Code = "unauthenticated"       // 401: no valid credentials
	CodeForbidden            Code = "forbidden"             // 403: authenticated, but the role is below the bar
	CodeNotFound             Code = "not_found"             // 404: missing, deleted, or another organization's
	CodeConflict             Code = "conflict"              // 409: state or uniqueness conflict
	CodePrecondition         Code = "precondition"          // 412: If-Match did not match
	CodePreconditionRequired Code = "precondition_required" // 428: an update named no version
	CodeTooLarge             Code = "too_large"             // 413: request body over the limit
	CodeRateLimited          Code = "rate_limited"          // 429: slow down
	CodeUnavailable          Code = "unavailable"           // 503: a dependency is down
	CodeInternal             Code = "internal"              // 500: a bug or an unexpected failure
)

// FieldError names one invalid field of a request.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// Error is the one error type that crosses layers: a code, a message safe
// to show a user, optional field errors, and the cause (never shown).
type Error struct {
	Code       Code
	Message    string
	Fields     []FieldError
	RetryAfter time.Duration // with CodeRateLimited: when to try again
	Err        error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf builds an Error with a formatted, user-safe message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// FieldErr is an error of code about one field: its message is the
// field and msg ("recipe_id the recipe is retired"), and its one field
// error names it.
func FieldErr(code Code, field, msg string) *Error {
	return &Error{Code: code, Message: field + " " + msg, Fields: []FieldError{{Field: field, Message: msg}}}
}

// ErrorCode returns the code of err's *Error, or CodeInternal.
func ErrorCode(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeInternal
}
