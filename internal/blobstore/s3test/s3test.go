// Package s3test runs a real S3-compatible server for tests: versitygw
// (github.com/versity/versitygw) serving a temporary directory, the
// binary built from the Go module proxy by `make tools` (bin/tools) or
// found on PATH. Without it the tests that need it fail, saying how to
// get it: they never skip.
package s3test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/spectra-lab/spectra/internal/blobstore"
	"github.com/spectra-lab/spectra/internal/testserver"
)

// EnvBinary names the versitygw binary to use, overriding the search.
const EnvBinary = "SPECTRA_TEST_VERSITYGW"

// The root credentials of the test server.
const (
	AccessKey = "spectra-test"
	SecretKey = "spectra-test-secret-key"
	Region    = "us-east-1"
)

// Server is a running versitygw.
type Server struct {
	Endpoint string // http://127.0.0.1:port
	dir      string
	proc     *testserver.Process
}

// Binary finds versitygw: $SPECTRA_TEST_VERSITYGW, bin/tools/versitygw of
// the module, or PATH.
func Binary() (string, error) {
	p, err := testserver.Find(EnvBinary, "versitygw", "go install github.com/versity/versitygw/cmd/versitygw@v1.8.0")
	if err != nil {
		return "", fmt.Errorf("s3test: %w", err)
	}
	return p, nil
}

// Start runs versitygw on a free loopback port over a new temporary
// directory and waits until it answers.
func Start() (*Server, error) {
	bin, err := Binary()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "spectra-s3-")
	if err != nil {
		return nil, err
	}
	addr, err := testserver.FreeAddr()
	if err != nil {
		return nil, err
	}
	s := &Server{Endpoint: "http://" + addr, dir: dir}
	if err := errors.Join(os.Mkdir(filepath.Join(dir, "root"), 0o700), os.Mkdir(filepath.Join(dir, "meta"), 0o700)); err != nil {
		return nil, err
	}
	args := []string{"--port", addr, "--access", AccessKey, "--secret", SecretKey, "--region", Region, "--quiet", "posix", "--sidecar", filepath.Join(dir, "meta"), filepath.Join(dir, "root")}
	if s.proc, err = testserver.Start("versitygw", bin, args, dir, testserver.Listening(addr)); err != nil {
		return nil, fmt.Errorf("s3test: %w", err)
	}
	return s, nil
}

// Stop ends the server and removes its directory.
func (s *Server) Stop() { s.proc.Stop() }

var bucketSeq struct {
	sync.Mutex
	n int
}

// NewBucket makes a new, empty bucket and returns a store on it.
func (s *Server) NewBucket(tb testing.TB) *blobstore.S3 {
	tb.Helper()
	bucketSeq.Lock()
	bucketSeq.n++
	name := "spectra-test-" + strconv.Itoa(os.Getpid()) + "-" + strconv.Itoa(bucketSeq.n)
	bucketSeq.Unlock()
	host := strings.TrimPrefix(s.Endpoint, "http://")
	c, err := minio.New(host, &minio.Options{Creds: credentials.NewStaticV4(AccessKey, SecretKey, ""), Region: Region, BucketLookup: minio.BucketLookupPath})
	if err != nil {
		tb.Fatal(err)
	}
	if err := c.MakeBucket(context.Background(), name, minio.MakeBucketOptions{Region: Region}); err != nil {
		tb.Fatalf("s3test: make bucket %s: %v", name, err)
	}
	st, err := blobstore.NewS3(blobstore.S3Options{Endpoint: s.Endpoint, Bucket: name, Region: Region,
		AccessKeyID: AccessKey, SecretAccessKey: SecretKey, PathStyle: true})
	if err != nil {
		tb.Fatal(err)
	}
	return st
}

// ObjectPath is where the server keeps an object's bytes, for tests that
// damage one behind the store's back.
func (s *Server) ObjectPath(bucket, key string) string {
	return filepath.Join(s.dir, "root", bucket, key)
}

var shared struct {
	once sync.Once
	srv  *Server
	err  error
}

// Shared is the test binary's server, started on first use; Main stops it.
func Shared(tb testing.TB) *Server {
	tb.Helper()
	shared.once.Do(func() { shared.srv, shared.err = Start() })
	if shared.err != nil {
		tb.Fatal(shared.err)
	}
	return shared.srv
}

// StopShared stops the shared server if it was started (TestMain calls it).
func StopShared() {
	if shared.srv != nil {
		shared.srv.Stop()
	}
}
