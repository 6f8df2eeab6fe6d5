package blobstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// Dir keeps objects as files under a directory: objects/ab/cd/abcd… for
// key abcd…, written to tmp/ first and renamed into place once synced,
// so a crash never leaves a partial object under a key.
type Dir struct{ root string }

// NewDir makes (if needed) and returns the store under root.
func NewDir(root string) (*Dir, error) {
	root, err := filepath.Abs(root)
	if err != nil {
		return nil, err
	}
	for _, d := range []string{"objects", "tmp"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o750); err != nil {
			return nil, fmt.Errorf("blobstore: %w", err)
		}
	}
	return &Dir{root: root}, nil
}

// Path is where key's object is (or would be): for operators and tests.
func (d *Dir) Path(key string) string { return d.path(key) }

func (d *Dir) path(key string) string {
	return filepath.Join(d.root, "objects", key[:2], key[2:4], key)
}

// Put writes r to a temporary file, syncs it and renames it to key's path.
func (d *Dir) Put(ctx context.Context, key string, r io.Reader) (n int64, err error) {
	if err := checkKey(key); err != nil {
		return 0, err
	}
	f, err := os.CreateTemp(filepath.Join(d.root, "tmp"), key+"-*")
	if err != nil {
		return 0, fmt.Errorf("blobstore: %w", err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	n, err = io.Copy(f, ctxReader{ctx, r})
	if err != nil {
		return n, err
	}
	if err = f.Sync(); err != nil {
		return n, fmt.Errorf("blobstore: %w", err)
	}
	if err = f.Close(); err != nil {
		return n, fmt.Errorf("blobstore: %w", err)
	}
	dst := d.path(key)
	if err = os.MkdirAll(filepath.Dir(dst), 0o750); err != nil {
		return n, fmt.Errorf("blobstore: %w", err)
	}
	if err = os.Rename(f.Name(), dst); err != nil {
		return n, fmt.Errorf("blobstore: %w", err)
	}
	// The rename is durable once the directory that holds it is synced.
	if dir, err := os.Open(filepath.Dir(dst)); err == nil {
		_ = dir.Sync()
		dir.Close()
	}
	return n, nil
}

// Open opens key's file.
func (d *Dir) Open(_ context.Context, key string) (io.ReadCloser, error) {
	if err := checkKey(key); err != nil {
		return nil, err
	}
	f, err := os.Open(d.path(key))
	if errors.Is(err, os.ErrNotExist) {
		return nil, ErrNotFound
	}
	return f, err
}

// Delete removes key's file.
func (d *Dir) Delete(_ context.Context, key string) error {
	if err := checkKey(key); err != nil {
		return err
	}
	if err := os.Remove(d.path(key)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}

// Check writes and removes a file in tmp/.
func (d *Dir) Check(context.Context) error {
	f, err := os.CreateTemp(filepath.Join(d.root, "tmp"), "check-*")
	if err != nil {
		return fmt.Errorf("blobstore: %s is not writable: %w", d.root, err)
	}
	f.Close()
	return os.Remove(f.Name())
}

func (d *Dir) String() string { return "directory " + d.root }

// ctxReader ends a copy when ctx ends.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
