package auth

import (
	"context"
	"errors"
	"strings"
	"testing"
)

func TestHashAndVerify(t *testing.T) {
	ctx := context.Background()
	h := NewHasher(DefaultArgon2, 2)
	phc, err := h.Hash(ctx, "correct horse")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(phc, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("PHC string %q does not carry the OWASP parameters", phc)
	}
	again, _ := h.Hash(ctx, "correct horse")
	if again == phc {
		t.Fatal("two hashes of one password are equal: salt not random")
	}
	ok, rehash, err := h.Verify(ctx, "correct horse", phc)
	if err != nil || !ok || rehash {
		t.Fatalf("Verify(right) = %v, %v, %v", ok, rehash, err)
	}
	ok, _, err = h.Verify(ctx, "wrong horse", phc)
	if err != nil || ok {
		t.Fatalf("Verify(wrong) = %v, %v", ok, err)
	}
}

func TestVerifyAsksForRehashWhenParametersChange(t *testing.T) {
	ctx := context.Background()
	weak := NewHasher(Argon2Params{MemoryKiB: 1024, Iterations: 1, Parallelism: 1, SaltLen: 16, KeyLen: 32}, 1)
	phc, err := weak.Hash(ctx, "pw")
	if err != nil {
		t.Fatal(err)
	}
	ok, rehash, err := NewHasher(DefaultArgon2, 1).Verify(ctx, "pw", phc)
	if err != nil || !ok || !rehash {
		t.Fatalf("Verify = ok %v, rehash %v, err %v; want ok and rehash", ok, rehash, err)
	}
}

func TestVerifyRejectsMalformedHashes(t *testing.T) {
	h := NewHasher(DefaultArgon2, 1)
	for _, bad := range []string{
		"", "plain", "$argon2i$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5",
		"$argon2id$v=18$m=19456,t=2,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5",
		"$argon2id$v=19$m=99999999,t=2,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5",
		"$argon2id$v=19$m=19456,t=2,p=1$!!$a2V5a2V5a2V5a2V5a2V5",
	} {
		if _, _, err := h.Verify(context.Background(), "pw", bad); !errors.Is(err, ErrMalformedHash) {
			t.Errorf("Verify(%q): got %v, want ErrMalformedHash", bad, err)
		}
	}
}

func FuzzParsePHC(f *testing.F) {
	f.Add("$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$a2V5a2V5a2V5a2V5a2V5a2V5")
	f.Add("$argon2id$v=19$m=0,t=0,p=0$$")
	f.Fuzz(func(t *testing.T, s string) {
		p, salt, key, err := parsePHC(s)
		if err != nil {
			return
		}
		// Anything accepted is within the bounds that keep Verify affordable.
		if p.MemoryKiB > 4<<20 || p.Iterations > 100 || p.Parallelism < 1 || len(salt) < 8 || len(key) < 16 {
			t.Fatalf("accepted out-of-bounds hash %q: %+v", s, p)
		}
	})
}
