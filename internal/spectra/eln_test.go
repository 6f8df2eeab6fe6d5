package spectra

import (
	"crypto/sha256"
	"encoding/hex"
	"testing"
)

func TestELNSignedContent(t *testing.T) {
	// The exact bytes are a contract with every stored signature: title,
	// blank line, body, nothing trimmed or normalized.
	if got := string(ELNSignedContent("T", " body\n")); got != "T\n\n body\n" {
		t.Fatalf("ELNSignedContent = %q", got)
	}
	sum := ELNContentSHA256("IV sweep", "ok")
	want := sha256.Sum256([]byte("IV sweep\n\nok"))
	if sum != want {
		t.Fatalf("digest %s, want %s", hex.EncodeToString(sum[:]), hex.EncodeToString(want[:]))
	}
}

func TestELNSignatureMatches(t *testing.T) {
	sum := ELNContentSHA256("Title", "Body")
	cases := []struct {
		name        string
		stored      []byte
		title, body string
		want        bool
	}{
		{"unchanged", sum[:], "Title", "Body", true},
		{"body changed", sum[:], "Title", "Body.", false},
		{"title changed", sum[:], "Title ", "Body", false},
		// Title and body are distinct parts of the signed bytes.
		{"title and body swapped", sum[:], "Body", "Title", false},
		{"truncated digest", sum[:31], "Title", "Body", false},
		{"no digest", nil, "Title", "Body", false},
	}
	for _, c := range cases {
		if got := ELNSignatureMatches(c.stored, c.title, c.body); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}

func TestMeaningValid(t *testing.T) {
	for _, m := range []Meaning{MeaningAuthored, MeaningReviewed, MeaningApproved} {
		if !m.Valid() {
			t.Errorf("%s is not valid", m)
		}
	}
	for _, m := range []Meaning{"", "witnessed", "Authored"} {
		if m.Valid() {
			t.Errorf("%q is valid", m)
		}
	}
}
