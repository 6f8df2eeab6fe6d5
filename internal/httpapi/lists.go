package httpapi

import "github.com/spectra-lab/spectra/internal/spectra"

// The shape every list answers with, and its page.

// The query parameters of every list (huma reads parameters only from an
// input's own fields, so each list's input repeats these two):
//
//	Limit  int    `query:"limit" minimum:"1" maximum:"200" default:"50"`
//	Cursor string `query:"cursor" maxLength:"64"`
func page(limit int, cursor string) (spectra.Page, error) { return spectra.NewPage(limit, cursor) }

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
