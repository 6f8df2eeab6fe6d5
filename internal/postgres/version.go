package postgres

import (
	"fmt"

	"github.com/spectra-lab/spectra/internal/spectra"
)

// staleWording is how one resource words a stale version. The answers are
// the same rule everywhere; only the wording differs, and each resource
// keeps the wording its clients already see.
type staleWording struct {
	what string // "the <what> changed since version …"
	// terse leaves "; reload it" out of the If-Match answer (ELN entries,
	// instruments, members, runs).
	terse bool
	// field names the body field "version" in the body-version answer
	// (projects, samples, devices).
	field bool
}

// checkVersion is the one optimistic-concurrency check of the store: it
// compares the version a client read with the row's current one. A stale
// If-Match is CodePrecondition (412), a stale body version CodeConflict
// (409); zero means the client did not say.
func checkVersion(w staleWording, current, ifMatch, version int) error {
	if ifMatch > 0 && ifMatch != current {
		msg := fmt.Sprintf("the %s changed since version %d (now %d)", w.what, ifMatch, current)
		if !w.terse {
			msg += "; reload it"
		}
		return &spectra.Error{Code: spectra.CodePrecondition, Message: msg}
	}
	if version > 0 && version != current {
		e := &spectra.Error{Code: spectra.CodeConflict,
			Message: fmt.Sprintf("the %s changed since version %d (now %d); reload it", w.what, version, current)}
		if w.field {
			e.Fields = []spectra.FieldError{{Field: "version", Message: "stale"}}
		}
		return e
	}
	return nil
}
