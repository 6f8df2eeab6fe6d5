package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"strings"

	"github.com/google/uuid"
)

// Opaque credentials — API keys and refresh tokens — are
//
//	<prefix><base32(id ‖ organization ‖ secret)><base32(crc32)>
//
// The prefix makes a leaked key recognizable (secret scanners can match
// "spk_"), the CRC-32 lets them, and us, reject a mistyped or made-up value
// without a database lookup, and the id and organization let the server
// find the stored SHA-256 of the 256-bit secret inside the organization's
// own tenant transaction.
const (
	APIKeyPrefix     = "spk_"
	RefreshPrefix    = "srt_"
	InvitationPrefix = "sin_"
)

var b32 = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

const (
	payloadLen  = 16 + 16 + 32
	bodyLen     = (payloadLen*8 + 4) / 5 // base32 characters of the payload
	checksumLen = 7                      // base32 characters of 4 bytes
)

// Opaque is a parsed opaque credential.
type Opaque struct {
	ID, Org uuid.UUID
	secret  [32]byte
}

// Hash is the SHA-256 of the secret, as stored.
func (o Opaque) Hash() []byte {
	h := sha256.Sum256(o.secret[:])
	return h[:]
}

// NewOpaque makes a fresh credential with prefix for organization org.
func NewOpaque(prefix string, org uuid.UUID) (string, Opaque, error) {
	id, err := uuid.NewV7()
	if err != nil {
		return "", Opaque{}, err
	}
	return NewOpaqueWithID(prefix, id, org)
}

// NewOpaqueWithID makes a credential with a given id and a fresh secret
// (tests use it to build well-formed credentials nobody holds).
func NewOpaqueWithID(prefix string, id, org uuid.UUID) (string, Opaque, error) {
	o := Opaque{ID: id, Org: org}
	if _, err := rand.Read(o.secret[:]); err != nil {
		return "", Opaque{}, err
	}
	payload := make([]byte, 0, payloadLen)
	payload = append(append(append(payload, o.ID[:]...), o.Org[:]...), o.secret[:]...)
	body := prefix + b32.EncodeToString(payload)
	return body + checksum(body), o, nil
}

var errMalformed = errors.New("malformed credential")

// ParseOpaque checks the prefix, length and checksum of s and decodes it.
func ParseOpaque(prefix, s string) (Opaque, error) {
	if !strings.HasPrefix(s, prefix) || len(s) != len(prefix)+bodyLen+checksumLen {
		return Opaque{}, errMalformed
	}
	body, sum := s[:len(s)-checksumLen], s[len(s)-checksumLen:]
	if checksum(body) != sum {
		return Opaque{}, fmt.Errorf("%w: checksum mismatch", errMalformed)
	}
	payload, err := b32.DecodeString(body[len(prefix):])
	if err != nil || len(payload) != payloadLen {
		return Opaque{}, errMalformed
	}
	var o Opaque
	copy(o.ID[:], payload[:16])
	copy(o.Org[:], payload[16:32])
	copy(o.secret[:], payload[32:])
	return o, nil
}

func checksum(body string) string {
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], crc32.ChecksumIEEE([]byte(body)))
	return b32.EncodeToString(b[:])
}

// DisplayPrefix is the part of a credential safe to show in lists: the
// prefix and the first characters, which encode its id.
func DisplayPrefix(s string) string {
	if len(s) < 20 {
		return s
	}
	return s[:20]
}
