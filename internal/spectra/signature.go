package spectra

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"slices"
	"unicode/utf8"

	"github.com/google/uuid"
)

// SignatureScheme names how a signature's digest was computed from the
// content it covers. Each signature row records its scheme, so a digest
// is always recomputed the way it was made: old signatures keep verifying
// after the encoding improves.
type SignatureScheme string

// The digest schemes.
const (
	// SchemeV1 is the encoding of signatures made before the scheme was
	// recorded (migration 00010 gives them this name). An ELN entry: its
	// title, a blank line, its body — ambiguous, since text can move
	// between title and body with the same digest. A recipe or SOP
	// revision: the JSON of a fixed set of its fields. Nothing new is
	// signed with it; it is only verified.
	SchemeV1 SignatureScheme = "v1"
	// SchemeV2 is the SHA-256 of canonical JSON of every signed field:
	// objects with their keys sorted, no insignificant space, strings
	// escaped by encoding/json without HTML escaping, numbers in their
	// shortest form, absent lists as [], absent ids as null, and the
	// scheme, the kind of record and its id among the fields. A quoted
	// string cannot spill into the next field, so no text can move
	// between fields, records or kinds with the same digest.
	SchemeV2 SignatureScheme = "v2"

	// CurrentScheme is the scheme of every new signature.
	CurrentScheme = SchemeV2
)

// SignatureSchemes lists the schemes a stored signature may have (the
// CHECK constraint of signatures.scheme says the same).
var SignatureSchemes = []SignatureScheme{SchemeV1, SchemeV2}

// SignedContent is what a signature covers: an ELNContent, RecipeContent
// or SOPContent.
type SignedContent interface {
	// v1 is the content's SchemeV1 encoding; v2 its SchemeV2 fields.
	v1() []byte
	v2() map[string]any
}

// ELNContent is what a signature of a notebook entry covers: the entry,
// its text, and what it is about.
type ELNContent struct {
	ID           uuid.UUID
	Title        string
	BodyMarkdown string
	ProjectID    *uuid.UUID
	AmendsID     *uuid.UUID
	SampleIDs    []uuid.UUID
	RunIDs       []uuid.UUID
}

// SignedContent is what a signature of e covers.
func (e ELNEntry) SignedContent() ELNContent {
	return ELNContent{ID: e.ID, Title: e.Title, BodyMarkdown: e.BodyMarkdown, ProjectID: e.ProjectID, AmendsID: e.AmendsID,
		SampleIDs: e.SampleIDs, RunIDs: e.RunIDs}
}

func (c ELNContent) v1() []byte { return []byte(c.Title + "\n\n" + c.BodyMarkdown) }

func (c ELNContent) v2() map[string]any {
	return map[string]any{"kind": "eln_entry", "id": c.ID, "title": c.Title, "body_markdown": c.BodyMarkdown,
		"project_id": c.ProjectID, "amends_id": c.AmendsID, "sample_ids": sortedIDs(c.SampleIDs), "run_ids": sortedIDs(c.RunIDs)}
}

// RecipeContent is what an approval signature of a recipe revision
// covers: the revision and everything a run of it follows.
type RecipeContent struct {
	ID              uuid.UUID
	LineageID       uuid.UUID
	Revision        int
	Name            string
	Description     string
	Parameters      []RecipeParam
	InstrumentKinds []string
	Extractions     []Extraction
}

// SignedContent is what an approval signature of r covers.
func (r Recipe) SignedContent() RecipeContent {
	return RecipeContent{ID: r.ID, LineageID: r.LineageID, Revision: r.Revision, Name: r.Name, Description: r.Description,
		Parameters: r.Parameters, InstrumentKinds: r.InstrumentKinds, Extractions: r.Extractions}
}

func (c RecipeContent) v1() []byte {
	params, kinds := c.Parameters, c.InstrumentKinds
	if params == nil {
		params = []RecipeParam{}
	}
	if kinds == nil {
		kinds = []string{}
	}
	// Top-level keys in alphabetical order; RecipeParam's in declaration
	// order (name, unit, min, max, default), as v1 signatures were made.
	return mustMarshal(struct {
		Description     string        `json:"description"`
		InstrumentKinds []string      `json:"instrument_kinds"`
		Name            string        `json:"name"`
		Parameters      []RecipeParam `json:"parameters"`
		Revision        int           `json:"revision"`
	}{c.Description, kinds, c.Name, params, c.Revision})
}

func (c RecipeContent) v2() map[string]any {
	params := make([]any, 0, len(c.Parameters))
	for _, p := range c.Parameters {
		// Every key present (null when not set), so that a missing
		// bound and a bound of 0 stay apart.
		params = append(params, map[string]any{"name": p.Name, "unit": p.Unit, "min": p.Min, "max": p.Max, "default": p.Default})
	}
	kinds := c.InstrumentKinds
	if kinds == nil {
		kinds = []string{}
	}
	m := map[string]any{"kind": "recipe", "id": c.ID, "lineage_id": c.LineageID, "revision": c.Revision,
		"name": c.Name, "description": c.Description, "parameters": params, "instrument_kinds": kinds}
	// Extractions came after v2's first signatures: present only when a
	// recipe has some, so those signatures' digests stand.
	if len(c.Extractions) > 0 {
		xs := make([]any, 0, len(c.Extractions))
		for _, x := range c.Extractions {
			xs = append(xs, map[string]any{"method": string(x.Method), "metric": x.Metric, "unit": x.Unit, "series": x.Series, "y": x.Y, "at": x.At})
		}
		m["extractions"] = xs
	}
	return m
}

// SOPContent is what an approval signature of an SOP revision covers.
type SOPContent struct {
	ID           uuid.UUID
	LineageID    uuid.UUID
	Revision     int
	Code         string
	Title        string
	BodyMarkdown string
}

// SignedContent is what an approval signature of s covers.
func (s SOP) SignedContent() SOPContent {
	return SOPContent{ID: s.ID, LineageID: s.LineageID, Revision: s.Revision, Code: s.Code, Title: s.Title, BodyMarkdown: s.BodyMarkdown}
}

func (c SOPContent) v1() []byte {
	return mustMarshal(struct {
		BodyMarkdown string `json:"body_markdown"`
		Code         string `json:"code"`
		Revision     int    `json:"revision"`
		Title        string `json:"title"`
	}{c.BodyMarkdown, c.Code, c.Revision, c.Title})
}

func (c SOPContent) v2() map[string]any {
	return map[string]any{"kind": "sop", "id": c.ID, "lineage_id": c.LineageID, "revision": c.Revision,
		"code": c.Code, "title": c.Title, "body_markdown": c.BodyMarkdown}
}

// SignedBytes is the exact byte string a signature of c under scheme
// covers. An unknown scheme, or (SchemeV2) text that is not valid UTF-8,
// which encoding/json would silently replace, is an error.
func SignedBytes(scheme SignatureScheme, c SignedContent) ([]byte, error) {
	switch scheme {
	case SchemeV1:
		return c.v1(), nil
	case SchemeV2:
		fields := c.v2()
		fields["scheme"] = string(SchemeV2)
		return canonicalJSON(fields)
	default:
		return nil, fmt.Errorf("spectra: unknown signature scheme %q", scheme)
	}
}

// SignatureDigest is the SHA-256 a signature of c under scheme stores: the
// one function the store (signing) and the manifests (verifying) call.
func SignatureDigest(scheme SignatureScheme, c SignedContent) ([32]byte, error) {
	b, err := SignedBytes(scheme, c)
	if err != nil {
		return [32]byte{}, err
	}
	return sha256.Sum256(b), nil
}

// SignatureMatches reports, in constant time, whether a stored digest made
// under scheme still covers c. A row changed behind the application's back
// (a DBA's UPDATE) no longer matches: the signature then proves nothing
// about it. An unknown scheme never matches.
func SignatureMatches(scheme SignatureScheme, stored []byte, c SignedContent) bool {
	sum, err := SignatureDigest(scheme, c)
	return err == nil && len(stored) == len(sum) && subtle.ConstantTimeCompare(stored, sum[:]) == 1
}

// canonicalJSON encodes v with every object's keys sorted (maps are
// encoded in key order), no insignificant space and no HTML escaping.
func canonicalJSON(v map[string]any) ([]byte, error) {
	if err := validUTF8(v); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("spectra: signed content: %w", err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// validUTF8 refuses strings that encoding/json would turn into U+FFFD, so
// that two different texts can never encode the same.
func validUTF8(v any) error {
	switch x := v.(type) {
	case string:
		if !utf8.ValidString(x) {
			return fmt.Errorf("spectra: signed content is not valid UTF-8")
		}
	case []string:
		for _, s := range x {
			if err := validUTF8(s); err != nil {
				return err
			}
		}
	case []any:
		for _, e := range x {
			if err := validUTF8(e); err != nil {
				return err
			}
		}
	case map[string]any:
		for _, e := range x {
			if err := validUTF8(e); err != nil {
				return err
			}
		}
	}
	return nil
}

func sortedIDs(ids []uuid.UUID) []uuid.UUID {
	out := append([]uuid.UUID{}, ids...)
	slices.SortFunc(out, func(a, b uuid.UUID) int { return bytes.Compare(a[:], b[:]) })
	return out
}

func mustMarshal(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		// Strings, ints and finite floats always marshal; a NaN cannot
		// come from JSON or jsonb.
		panic("spectra: signed content does not marshal: " + err.Error())
	}
	return b
}
