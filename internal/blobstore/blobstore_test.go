package blobstore_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"io"
	"os"
	"sync"
	"testing"

	"github.com/spectra-lab/spectra/internal/blobstore"
	"github.com/spectra-lab/spectra/internal/blobstore/s3test"
)

func TestMain(m *testing.M) {
	code := m.Run()
	s3test.StopShared()
	os.Exit(code)
}

// stores are the two implementations, each fresh: a directory, and a
// bucket of a real S3-compatible server (versitygw).
func stores(t *testing.T) map[string]blobstore.Store {
	dir, err := blobstore.NewDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return map[string]blobstore.Store{"dir": dir, "s3": s3test.Shared(t).NewBucket(t)}
}

func random(t *testing.T, n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

func read(t *testing.T, st blobstore.Store, key string) ([]byte, error) {
	t.Helper()
	rc, err := st.Open(context.Background(), key)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

// failingReader yields n bytes, then fails.
type failingReader struct {
	r io.Reader
}

var errBroken = errors.New("the client went away")

func (f *failingReader) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	if err == io.EOF {
		return n, errBroken
	}
	return n, err
}

func TestStoreContract(t *testing.T) {
	ctx := context.Background()
	for name, st := range stores(t) {
		t.Run(name, func(t *testing.T) {
			if err := st.Check(ctx); err != nil {
				t.Fatalf("Check: %v", err)
			}
			// Empty, small, and larger than an upload part (several parts).
			for _, size := range []int{0, 1, 1000, blobstore.PartSize*2 + 12345} {
				want := random(t, size)
				key := blobstore.NewKey()
				n, err := st.Put(ctx, key, bytes.NewReader(want))
				if err != nil || n != int64(size) {
					t.Fatalf("Put %d bytes: %d, %v", size, n, err)
				}
				got, err := read(t, st, key)
				if err != nil || !bytes.Equal(got, want) {
					t.Fatalf("read back %d bytes: %d bytes, equal %v, %v", size, len(got), bytes.Equal(got, want), err)
				}
				if err := st.Delete(ctx, key); err != nil {
					t.Fatal(err)
				}
				if _, err := read(t, st, key); !errors.Is(err, blobstore.ErrNotFound) {
					t.Fatalf("read after delete: %v, want ErrNotFound", err)
				}
			}
			if _, err := read(t, st, blobstore.NewKey()); !errors.Is(err, blobstore.ErrNotFound) {
				t.Fatalf("a key never written: %v, want ErrNotFound", err)
			}
			if err := st.Delete(ctx, blobstore.NewKey()); err != nil {
				t.Fatalf("deleting a missing object: %v", err)
			}
		})
	}
}

// A Put whose source breaks off, small or past a part, or whose context
// ends, leaves nothing under its key.
func TestStoreFailedPutLeavesNothing(t *testing.T) {
	for name, st := range stores(t) {
		t.Run(name, func(t *testing.T) {
			for _, size := range []int{10, blobstore.PartSize + 1} {
				key := blobstore.NewKey()
				_, err := st.Put(context.Background(), key, &failingReader{r: bytes.NewReader(random(t, size))})
				if err == nil {
					t.Fatalf("Put of a broken source (%d bytes) succeeded", size)
				}
				if _, err := read(t, st, key); !errors.Is(err, blobstore.ErrNotFound) {
					t.Fatalf("after a broken Put of %d bytes: %v, want ErrNotFound", size, err)
				}
			}
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			key := blobstore.NewKey()
			if _, err := st.Put(ctx, key, bytes.NewReader(random(t, 100))); err == nil {
				t.Fatal("Put with a cancelled context succeeded")
			}
			if _, err := read(t, st, key); !errors.Is(err, blobstore.ErrNotFound) {
				t.Fatalf("after a cancelled Put: %v, want ErrNotFound", err)
			}
		})
	}
}

// Keys are the store's, never a path of the caller's.
func TestStoreRefusesMalformedKeys(t *testing.T) {
	for name, st := range stores(t) {
		t.Run(name, func(t *testing.T) {
			for _, key := range []string{"", "../../../etc/passwd", "ABCDEF0123456789ABCDEF0123456789", "0123456789abcdef0123456789abcde/", "0123456789abcdef"} {
				if _, err := st.Put(context.Background(), key, bytes.NewReader([]byte("x"))); err == nil {
					t.Errorf("Put(%q) succeeded", key)
				}
				if _, err := st.Open(context.Background(), key); err == nil || errors.Is(err, blobstore.ErrNotFound) {
					t.Errorf("Open(%q): %v, want a malformed-key error", key, err)
				}
			}
		})
	}
}

func TestNewKeyIsRandom(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		k := blobstore.NewKey()
		if len(k) != 32 || seen[k] {
			t.Fatalf("key %q: length %d, seen before %v", k, len(k), seen[k])
		}
		seen[k] = true
	}
}

func TestStoreConcurrentPuts(t *testing.T) {
	for name, st := range stores(t) {
		t.Run(name, func(t *testing.T) {
			var wg sync.WaitGroup
			keys, data := make([]string, 8), make([][]byte, 8)
			errs := make([]error, 8)
			for i := range keys {
				keys[i], data[i] = blobstore.NewKey(), random(t, 100_000+i)
				wg.Add(1)
				go func() {
					defer wg.Done()
					_, errs[i] = st.Put(context.Background(), keys[i], bytes.NewReader(data[i]))
				}()
			}
			wg.Wait()
			for i := range keys {
				if errs[i] != nil {
					t.Fatal(errs[i])
				}
				if got, err := read(t, st, keys[i]); err != nil || !bytes.Equal(got, data[i]) {
					t.Fatalf("object %d: %v", i, err)
				}
			}
		})
	}
}

func TestS3CheckFindsAMissingBucket(t *testing.T) {
	srv := s3test.Shared(t)
	st, err := blobstore.NewS3(blobstore.S3Options{Endpoint: srv.Endpoint, Bucket: "no-such-bucket", Region: s3test.Region,
		AccessKeyID: s3test.AccessKey, SecretAccessKey: s3test.SecretKey, PathStyle: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Check(context.Background()); err == nil {
		t.Fatal("Check of a missing bucket succeeded")
	}
	bad, err := blobstore.NewS3(blobstore.S3Options{Endpoint: srv.Endpoint, Bucket: srv.NewBucket(t).Bucket(), Region: s3test.Region,
		AccessKeyID: s3test.AccessKey, SecretAccessKey: "wrong-secret", PathStyle: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := bad.Check(context.Background()); err == nil {
		t.Fatal("Check with a wrong secret succeeded")
	}
	if _, err := blobstore.NewS3(blobstore.S3Options{Endpoint: "ftp://x", Bucket: "b"}); err == nil {
		t.Fatal("an ftp endpoint was taken")
	}
}
