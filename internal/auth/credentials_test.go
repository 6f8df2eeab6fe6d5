package auth

import (
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/spectra-lab/spectra/internal/spectra"
)

func TestOpaqueRoundTrip(t *testing.T) {
	org := uuid.New()
	s, o, err := NewOpaque(APIKeyPrefix, org)
	if err != nil {
		t.Fatal(err)
	}
	got, err := ParseOpaque(APIKeyPrefix, s)
	if err != nil || got.ID != o.ID || got.Org != org || string(got.Hash()) != string(o.Hash()) {
		t.Fatalf("round trip: %+v, %v", got, err)
	}
	if _, err := ParseOpaque(RefreshPrefix, s); err == nil {
		t.Error("an API key parsed as a refresh token")
	}
	// Any single changed character is caught by the checksum (or the format).
	for i := len(APIKeyPrefix); i < len(s); i++ {
		c := byte('a')
		if s[i] == 'a' {
			c = 'b'
		}
		if _, err := ParseOpaque(APIKeyPrefix, s[:i]+string(c)+s[i+1:]); err == nil {
			t.Fatalf("changed character %d accepted", i)
		}
	}
	if !strings.HasPrefix(s, DisplayPrefix(s)) || len(DisplayPrefix(s)) != 20 {
		t.Errorf("display prefix %q", DisplayPrefix(s))
	}
}

func FuzzParseOpaque(f *testing.F) {
	s, _, _ := NewOpaque(APIKeyPrefix, uuid.New())
	f.Add(s)
	f.Add("spk_")
	f.Add(APIKeyPrefix + strings.Repeat("a", bodyLen+checksumLen))
	f.Fuzz(func(t *testing.T, in string) {
		o, err := ParseOpaque(APIKeyPrefix, in)
		if err != nil {
			return
		}
		// Whatever parses re-encodes to itself: one text per credential.
		again, _, err := NewOpaqueWithID(APIKeyPrefix, o.ID, o.Org)
		if err != nil || len(again) != len(in) {
			t.Fatalf("accepted %q of odd shape", in)
		}
	})
}

func FuzzVerifyToken(f *testing.F) {
	tokens, err := NewTokens([]byte(strings.Repeat("s", 32)), "http://spectra.test", nil)
	if err != nil {
		f.Fatal(err)
	}
	// Fixed ids: the fuzzing workers are other processes, each issuing its
	// own token for the same principal.
	p := spectra.Principal{UserID: uuid.MustParse("0193a000-0000-7000-8000-000000000001"),
		OrgID: uuid.MustParse("0193a000-0000-7000-8000-000000000002"), Role: spectra.RoleViewer, Auth: spectra.AuthPassword}
	good, err := tokens.Issue(&p, time.Minute)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add("eyJhbGciOiJub25lIn0.e30.")
	f.Add("a.b.c")
	f.Fuzz(func(t *testing.T, raw string) {
		got, err := tokens.Verify(raw)
		if err != nil {
			if spectra.ErrorCode(err) != spectra.CodeUnauthenticated {
				t.Fatalf("Verify(%q) failed with %v, not unauthenticated", raw, err)
			}
			return
		}
		// Only a token signed with the secret passes, and only tokens for
		// p were ever signed.
		if got.UserID != p.UserID || got.OrgID != p.OrgID || got.Role != p.Role {
			t.Fatalf("Verify accepted a token we did not issue: %q → %+v", raw, got)
		}
	})
}

func TestTokensRefuseShortSecrets(t *testing.T) {
	if _, err := NewTokens(make([]byte, 31), "x", nil); err == nil {
		t.Fatal("a 31-byte secret accepted")
	}
}

func TestSealOpen(t *testing.T) {
	tokens, _ := NewTokens([]byte(strings.Repeat("s", 32)), "x", nil)
	sealed := tokens.Seal("purpose", []byte("hello"))
	if v, err := tokens.Open("purpose", sealed); err != nil || string(v) != "hello" {
		t.Fatalf("Open = %q, %v", v, err)
	}
	for _, bad := range []string{"", "x", sealed + "x", strings.Replace(sealed, ".", ".A", 1)} {
		if _, err := tokens.Open("purpose", bad); err == nil {
			t.Errorf("Open(%q) accepted", bad)
		}
	}
	if _, err := tokens.Open("other", sealed); err == nil {
		t.Error("a value sealed for one purpose opened for another")
	}
}

func TestLoadOrCreateSecret(t *testing.T) {
	path := t.TempDir() + "/jwt-secret"
	a, err := LoadOrCreateSecret(path)
	if err != nil || len(a) != 32 {
		t.Fatalf("create: %d bytes, %v", len(a), err)
	}
	b, err := LoadOrCreateSecret(path)
	if err != nil || string(a) != string(b) {
		t.Fatal("the kept secret changed between starts")
	}
}

func TestLockoutGrowsAndCaps(t *testing.T) {
	now := time.Now()
	l := DefaultLockout
	for _, c := range []struct {
		failures int
		want     time.Duration
	}{{4, 0}, {5, time.Minute}, {6, 2 * time.Minute}, {7, 4 * time.Minute}, {40, time.Hour}} {
		got := l.lockedFor(spectra.Failures{Account: c.failures, LastAccountFailure: now}, now)
		if got != c.want {
			t.Errorf("%d failures: locked %v, want %v", c.failures, got, c.want)
		}
	}
}
