package httpapi

import (
	"strconv"
	"strings"

	"github.com/spectra-lab/spectra/internal/postgres"
	"github.com/spectra-lab/spectra/internal/spectra"
)

// Helpers every resource's handlers share: pages, lists, versions, field
// errors.

// The query parameters of every list (huma reads parameters only from an
// input's own fields, so each list's input repeats these two):
//
//	Limit  int    `query:"limit" minimum:"1" maximum:"200" default:"50"`
//	Cursor string `query:"cursor" maxLength:"64"`
func page(limit int, cursor string) (postgres.Page, error) { return postgres.NewPage(limit, cursor) }

// listBody is the shape of every list: a page of items and the cursor of
// the next page (null on the last).
type listBody[T any] struct {
	Items      []T     `json:"items" nullable:"false"`
	NextCursor *string `json:"next_cursor"`
}

func newList[T any](items []T, cursor string) listBody[T] {
	b := listBody[T]{Items: append([]T{}, items...)}
	if cursor != "" {
		b.NextCursor = &cursor
	}
	return b
}

type listOutput[T any] struct {
	Body listBody[T]
}

// ifMatch reads an If-Match version ("3" or W/"3"); empty: no condition.
func ifMatch(h string) (int, error) {
	if h == "" {
		return 0, nil
	}
	v, err := strconv.Atoi(strings.Trim(strings.TrimPrefix(strings.TrimSpace(h), "W/"), `"`))
	if err != nil || v < 1 {
		return 0, &spectra.Error{Code: spectra.CodeInvalid, Message: "If-Match must be an ETag this server gave",
			Fields: []spectra.FieldError{{Field: "header.If-Match", Message: "not an ETag of this resource"}}}
	}
	return v, nil
}

// etag is the ETag of a row at version v; If-Match sends it back.
func etag(v int) string { return strconv.Quote(strconv.Itoa(v)) }

// invalid is a 422 naming one field.
func invalid(field, msg string) error {
	return &spectra.Error{Code: spectra.CodeInvalid, Message: field + " " + msg, Fields: []spectra.FieldError{{Field: field, Message: msg}}}
}
