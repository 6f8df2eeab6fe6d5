package auth

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"
)

// LoadOrCreateSecret returns the token secret kept in path, creating a
// random one (256 bits, hex, mode 0600) on first use. Two processes racing
// to create it end up with the same secret: the file is created
// exclusively and the loser reads the winner's.
func LoadOrCreateSecret(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		secret := make([]byte, 32)
		if _, err := rand.Read(secret); err != nil {
			return nil, err
		}
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err == nil {
			_, werr := f.WriteString(hex.EncodeToString(secret) + "\n")
			if cerr := f.Close(); werr == nil {
				werr = cerr
			}
			if werr != nil {
				return nil, fmt.Errorf("auth: write %s: %w", path, werr)
			}
			return secret, nil
		}
		if !errors.Is(err, os.ErrExist) {
			return nil, fmt.Errorf("auth: create %s: %w", path, err)
		}
		b, err = os.ReadFile(path)
	}
	if err != nil {
		return nil, fmt.Errorf("auth: read %s: %w", path, err)
	}
	secret, err := hex.DecodeString(strings.TrimSpace(string(b)))
	if err != nil || len(secret) < MinSecretLen {
		return nil, fmt.Errorf("auth: %s does not hold a hex secret of at least %d bytes", path, MinSecretLen)
	}
	return secret, nil
}
