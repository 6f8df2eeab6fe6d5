// Package blobstore keeps the bytes of uploaded files (PRODUCT.md §13):
// instrument files, certificates, attachments. A Store holds objects under
// keys the database hands out; it knows nothing of organizations, owners
// or digests (the files table does). Two implementations: Dir, files under
// a directory (the embedded default, under SPECTRA_DATA_DIR), and S3, any
// S3-compatible object store.
//
// Keys are random (NewKey: 128 bits from crypto/rand), so an object cannot
// be found by guessing, whoever can reach the bucket. Content addressing is
// the database's: a file row names its SHA-256, and an organization's
// second upload of the same bytes reuses the object that digest already
// names (internal/postgres/files.go).
package blobstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
)

// ErrNotFound is the error of Open for a key no object has.
var ErrNotFound = errors.New("blobstore: no such object")

// Store keeps objects. Every method is safe for concurrent use.
type Store interface {
	// Put stores what r yields under key and returns how many bytes it
	// stored. An object appears under key whole or not at all: a failed
	// or cancelled Put leaves nothing under key. Put streams: its memory
	// does not grow with the object.
	Put(ctx context.Context, key string, r io.Reader) (int64, error)
	// Open reads the object under key (ErrNotFound if none).
	Open(ctx context.Context, key string) (io.ReadCloser, error)
	// Delete removes the object under key; a missing one is no error.
	Delete(ctx context.Context, key string) error
	// Check reports whether the store can be used (the directory is
	// writable, the bucket exists and the credentials open it).
	Check(ctx context.Context) error
	// String names the store for logs, without credentials.
	String() string
}

// NewKey returns a fresh random object key: 32 lowercase hex digits.
func NewKey() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return hex.EncodeToString(b[:])
}

// checkKey refuses a key NewKey could not have made: a key is never a
// path of the caller's choosing.
func checkKey(key string) error {
	if len(key) != 32 {
		return fmt.Errorf("blobstore: malformed key %q", key)
	}
	for i := 0; i < len(key); i++ {
		if c := key[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return fmt.Errorf("blobstore: malformed key %q", key)
		}
	}
	return nil
}
