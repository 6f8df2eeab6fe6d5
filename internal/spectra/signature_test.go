package spectra

import (
	"crypto/sha256"
	"encoding/hex"
	"testing"

	"github.com/google/uuid"
)

func digest(t *testing.T, scheme SignatureScheme, c SignedContent) [32]byte {
	t.Helper()
	sum, err := SignatureDigest(scheme, c)
	if err != nil {
		t.Fatal(err)
	}
	return sum
}

func bytesOf(t *testing.T, scheme SignatureScheme, c SignedContent) string {
	t.Helper()
	b, err := SignedBytes(scheme, c)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// The v1 bytes are a contract with every signature stored before v2: they
// must never change, flaws included.
func TestSchemeV1IsTheOldEncoding(t *testing.T) {
	if got := bytesOf(t, SchemeV1, ELNContent{Title: "T", BodyMarkdown: " body\n"}); got != "T\n\n body\n" {
		t.Errorf("ELN v1 = %q", got)
	}
	sum := digest(t, SchemeV1, ELNContent{Title: "IV sweep", BodyMarkdown: "ok"})
	if want := sha256.Sum256([]byte("IV sweep\n\nok")); sum != want {
		t.Errorf("ELN v1 digest %s, want %s", hex.EncodeToString(sum[:]), hex.EncodeToString(want[:]))
	}
	params := []RecipeParam{{Name: "step", Unit: "V", Min: f(0.001), Max: f(1), Default: f(0.05)}}
	recipe := RecipeContent{ID: uuid.New(), Name: "IV", Description: "d", Parameters: params, InstrumentKinds: []string{"SMU"}, Revision: 2}
	if got, want := bytesOf(t, SchemeV1, recipe),
		`{"description":"d","instrument_kinds":["SMU"],"name":"IV","parameters":[{"name":"step","unit":"V","min":0.001,"max":1,"default":0.05}],"revision":2}`; got != want {
		t.Errorf("recipe v1\n got %s\nwant %s", got, want)
	}
	if got, want := bytesOf(t, SchemeV1, RecipeContent{Name: "IV", Revision: 1}),
		`{"description":"","instrument_kinds":[],"name":"IV","parameters":[],"revision":1}`; got != want {
		t.Errorf("recipe v1 without lists\n got %s\nwant %s", got, want)
	}
	if got, want := bytesOf(t, SchemeV1, SOPContent{ID: uuid.New(), Code: "SOP-1", Title: "Title \"q\"", BodyMarkdown: "# Body\n", Revision: 3}),
		`{"body_markdown":"# Body\n","code":"SOP-1","revision":3,"title":"Title \"q\""}`; got != want {
		t.Errorf("SOP v1\n got %s\nwant %s", got, want)
	}
}

// The attack of issue 10: text moved from the title into the body keeps a
// v1 digest, never a v2 one.
func TestSchemeV2KeepsFieldsApart(t *testing.T) {
	id := uuid.New()
	a := ELNContent{ID: id, Title: "Result\n\nPASS", BodyMarkdown: "batch 7"}
	b := ELNContent{ID: id, Title: "Result", BodyMarkdown: "PASS\n\nbatch 7"}
	if digest(t, SchemeV1, a) != digest(t, SchemeV1, b) {
		t.Fatalf("v1 no longer has the flaw it is kept for; its stored signatures would stop verifying")
	}
	if digest(t, CurrentScheme, a) == digest(t, CurrentScheme, b) {
		t.Errorf("%s: moving text from the title into the body keeps the digest", CurrentScheme)
	}
	s1 := SOPContent{ID: id, Code: "SOP-1", Title: "T", BodyMarkdown: "B", Revision: 1}
	s2 := SOPContent{ID: id, Code: "SOP-1", Title: "", BodyMarkdown: "TB", Revision: 1}
	if digest(t, CurrentScheme, s1) == digest(t, CurrentScheme, s2) {
		t.Errorf("SOP: moving text between title and body keeps the digest")
	}
	// The same fields of different kinds are different documents.
	if digest(t, CurrentScheme, SOPContent{ID: id}) == digest(t, CurrentScheme, RecipeContent{ID: id}) {
		t.Errorf("an SOP and a recipe with the same id and no content share a digest")
	}
}

// Every field a v2 signature covers changes its digest.
func TestSchemeV2CoversEveryField(t *testing.T) {
	id, other := uuid.New(), uuid.New()
	params := []RecipeParam{{Name: "step", Unit: "V", Min: f(0.001), Max: f(1), Default: f(0.05)}}
	eln := ELNContent{ID: id, Title: "T", BodyMarkdown: "B", SampleIDs: []uuid.UUID{other}}
	recipe := RecipeContent{ID: id, LineageID: other, Revision: 1, Name: "IV", Parameters: params, InstrumentKinds: []string{"SMU"}}
	sop := SOPContent{ID: id, LineageID: other, Revision: 1, Code: "SOP-1", Title: "T", BodyMarkdown: "B"}
	for name, pair := range map[string][2]SignedContent{
		"eln id":             {eln, ELNContent{ID: other, Title: "T", BodyMarkdown: "B", SampleIDs: []uuid.UUID{other}}},
		"eln title":          {eln, ELNContent{ID: id, Title: "T2", BodyMarkdown: "B", SampleIDs: []uuid.UUID{other}}},
		"eln body":           {eln, ELNContent{ID: id, Title: "T", BodyMarkdown: "B.", SampleIDs: []uuid.UUID{other}}},
		"eln project":        {eln, ELNContent{ID: id, Title: "T", BodyMarkdown: "B", SampleIDs: []uuid.UUID{other}, ProjectID: &other}},
		"eln amends":         {eln, ELNContent{ID: id, Title: "T", BodyMarkdown: "B", SampleIDs: []uuid.UUID{other}, AmendsID: &other}},
		"eln samples":        {eln, ELNContent{ID: id, Title: "T", BodyMarkdown: "B"}},
		"eln sample → run":   {eln, ELNContent{ID: id, Title: "T", BodyMarkdown: "B", RunIDs: []uuid.UUID{other}}},
		"recipe id":          {recipe, RecipeContent{ID: other, LineageID: other, Revision: 1, Name: "IV", Parameters: params, InstrumentKinds: []string{"SMU"}}},
		"recipe lineage":     {recipe, RecipeContent{ID: id, LineageID: id, Revision: 1, Name: "IV", Parameters: params, InstrumentKinds: []string{"SMU"}}},
		"recipe revision":    {recipe, RecipeContent{ID: id, LineageID: other, Revision: 2, Name: "IV", Parameters: params, InstrumentKinds: []string{"SMU"}}},
		"recipe name":        {recipe, RecipeContent{ID: id, LineageID: other, Revision: 1, Name: "IV2", Parameters: params, InstrumentKinds: []string{"SMU"}}},
		"recipe description": {recipe, RecipeContent{ID: id, LineageID: other, Revision: 1, Name: "IV", Description: "x", Parameters: params, InstrumentKinds: []string{"SMU"}}},
		"recipe kinds":       {recipe, RecipeContent{ID: id, LineageID: other, Revision: 1, Name: "IV", Parameters: params, InstrumentKinds: []string{"XRD"}}},
		"recipe parameter":   {recipe, RecipeContent{ID: id, LineageID: other, Revision: 1, Name: "IV", Parameters: []RecipeParam{{Name: "step", Unit: "V", Max: f(2)}}, InstrumentKinds: []string{"SMU"}}},
		// No lower bound is not a lower bound of 0.
		"recipe min 0": {RecipeContent{Parameters: []RecipeParam{{Name: "a"}}}, RecipeContent{Parameters: []RecipeParam{{Name: "a", Min: f(0)}}}},
		"sop id":       {sop, SOPContent{ID: other, LineageID: other, Revision: 1, Code: "SOP-1", Title: "T", BodyMarkdown: "B"}},
		"sop lineage":  {sop, SOPContent{ID: id, LineageID: id, Revision: 1, Code: "SOP-1", Title: "T", BodyMarkdown: "B"}},
		"sop revision": {sop, SOPContent{ID: id, LineageID: other, Revision: 2, Code: "SOP-1", Title: "T", BodyMarkdown: "B"}},
		"sop code":     {sop, SOPContent{ID: id, LineageID: other, Revision: 1, Code: "SOP-2", Title: "T", BodyMarkdown: "B"}},
		"sop title":    {sop, SOPContent{ID: id, LineageID: other, Revision: 1, Code: "SOP-1", Title: "T2", BodyMarkdown: "B"}},
		"sop body":     {sop, SOPContent{ID: id, LineageID: other, Revision: 1, Code: "SOP-1", Title: "T", BodyMarkdown: "B2"}},
	} {
		if digest(t, SchemeV2, pair[0]) == digest(t, SchemeV2, pair[1]) {
			t.Errorf("changing the %s keeps the v2 digest", name)
		}
	}
}

// The v2 encoding is canonical: sorted keys everywhere, no space, no HTML
// escaping, absent lists as [], links in id order.
func TestSchemeV2IsCanonical(t *testing.T) {
	id := uuid.MustParse("01941f29-7c00-7000-8000-000000000001")
	params := []RecipeParam{{Name: "step", Unit: "V", Min: f(0.001), Default: f(0.05)}}
	got := bytesOf(t, SchemeV2, RecipeContent{ID: id, LineageID: id, Revision: 2, Name: "IV <b>&", Parameters: params})
	want := `{"description":"","id":"01941f29-7c00-7000-8000-000000000001","instrument_kinds":[],"kind":"recipe",` +
		`"lineage_id":"01941f29-7c00-7000-8000-000000000001","name":"IV <b>&",` +
		`"parameters":[{"default":0.05,"max":null,"min":0.001,"name":"step","unit":"V"}],"revision":2,"scheme":"v2"}`
	if got != want {
		t.Errorf("recipe v2\n got %s\nwant %s", got, want)
	}
	got = bytesOf(t, SchemeV2, ELNContent{ID: id, Title: "Result\n\nPASS", BodyMarkdown: "batch \"7\""})
	want = `{"amends_id":null,"body_markdown":"batch \"7\"","id":"01941f29-7c00-7000-8000-000000000001","kind":"eln_entry",` +
		`"project_id":null,"run_ids":[],"sample_ids":[],"scheme":"v2","title":"Result\n\nPASS"}`
	if got != want {
		t.Errorf("ELN v2\n got %s\nwant %s", got, want)
	}
	a, b := uuid.New(), uuid.New()
	if digest(t, SchemeV2, ELNContent{SampleIDs: []uuid.UUID{a, b}}) != digest(t, SchemeV2, ELNContent{SampleIDs: []uuid.UUID{b, a}}) {
		t.Errorf("the order links are read in changes the digest")
	}
	if digest(t, SchemeV2, RecipeContent{}) != digest(t, SchemeV2, RecipeContent{Parameters: []RecipeParam{}, InstrumentKinds: []string{}}) {
		t.Errorf("absent and empty lists differ")
	}
	if _, err := SignedBytes(SchemeV2, ELNContent{Title: "bad \xff"}); err == nil {
		t.Errorf("invalid UTF-8 (which encoding/json would replace) was encoded")
	}
}

func TestSignatureMatches(t *testing.T) {
	c := ELNContent{ID: uuid.New(), Title: "Title", BodyMarkdown: "Body"}
	v1, v2 := digest(t, SchemeV1, c), digest(t, SchemeV2, c)
	changed := c
	changed.BodyMarkdown = "Body."
	cases := []struct {
		name   string
		scheme SignatureScheme
		stored []byte
		c      ELNContent
		want   bool
	}{
		{"v1 unchanged", SchemeV1, v1[:], c, true},
		{"v2 unchanged", SchemeV2, v2[:], c, true},
		{"v1 changed", SchemeV1, v1[:], changed, false},
		{"v2 changed", SchemeV2, v2[:], changed, false},
		{"a v1 digest is not a v2 one", SchemeV2, v1[:], c, false},
		{"unknown scheme", "v0", v1[:], c, false},
		{"truncated digest", SchemeV2, v2[:31], c, false},
		{"no digest", SchemeV2, nil, c, false},
	}
	for _, tc := range cases {
		if got := SignatureMatches(tc.scheme, tc.stored, tc.c); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
	if CurrentScheme != SchemeV2 || len(SignatureSchemes) != 2 {
		t.Errorf("the current scheme is %s of %v", CurrentScheme, SignatureSchemes)
	}
}
