package blobstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// S3Options configure an S3-compatible store.
type S3Options struct {
	// Endpoint is the store's URL: https://s3.eu-central-1.amazonaws.com,
	// http://127.0.0.1:7070 (plain http only as the operator chooses).
	Endpoint        string
	Bucket          string
	Region          string // e.g. us-east-1
	AccessKeyID     string
	SecretAccessKey string
	// PathStyle addresses the bucket in the path (endpoint/bucket/key)
	// rather than the host name, as most self-hosted stores want.
	PathStyle bool
}

// PartSize is the size of the parts an upload of unknown length is sent
// in: what one upload holds in memory at a time. 10,000 parts (S3's
// limit) of it make 80 GiB, the largest object Put can store.
const PartSize = 8 << 20

// S3 keeps objects in a bucket of an S3-compatible store.
type S3 struct {
	c      *minio.Client
	bucket string
	name   string
}

// Bucket is the bucket's name.
func (s *S3) Bucket() string { return s.bucket }

// NewS3 connects to the store o names; it does not call it (Check does).
func NewS3(o S3Options) (*S3, error) {
	u, err := url.Parse(o.Endpoint)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, fmt.Errorf("blobstore: the S3 endpoint must be an http(s) URL, is %q", o.Endpoint)
	}
	if o.Bucket == "" {
		return nil, errors.New("blobstore: no S3 bucket")
	}
	lookup := minio.BucketLookupAuto
	if o.PathStyle {
		lookup = minio.BucketLookupPath
	}
	c, err := minio.New(u.Host, &minio.Options{
		Creds:        credentials.NewStaticV4(o.AccessKeyID, o.SecretAccessKey, ""),
		Secure:       u.Scheme == "https",
		Region:       o.Region,
		BucketLookup: lookup,
	})
	if err != nil {
		return nil, fmt.Errorf("blobstore: %w", err)
	}
	return &S3{c: c, bucket: o.Bucket, name: "S3 bucket " + o.Bucket + " at " + u.Scheme + "://" + u.Host}, nil
}

// Put uploads r in parts of PartSize, one part in memory at a time; S3
// makes the object visible only when the upload completes.
func (s *S3) Put(ctx context.Context, key string, r io.Reader) (int64, error) {
	if err := checkKey(key); err != nil {
		return 0, err
	}
	info, err := s.c.PutObject(ctx, s.bucket, key, r, -1, minio.PutObjectOptions{
		ContentType: "application/octet-stream", PartSize: PartSize,
	})
	if err != nil {
		return 0, fmt.Errorf("blobstore: put %s: %w", key, err)
	}
	return info.Size, nil
}

// Open starts reading key; a missing object is ErrNotFound.
func (s *S3) Open(ctx context.Context, key string) (io.ReadCloser, error) {
	if err := checkKey(key); err != nil {
		return nil, err
	}
	o, err := s.c.GetObject(ctx, s.bucket, key, minio.GetObjectOptions{})
	if err == nil {
		// GetObject is lazy: Stat makes the request, so that a missing
		// object is known before anything is sent on.
		_, err = o.Stat()
	}
	if err != nil {
		if o != nil {
			o.Close()
		}
		if minio.ToErrorResponse(err).Code == minio.NoSuchKey {
			return nil, ErrNotFound
		}
		return nil, fmt.Errorf("blobstore: get %s: %w", key, err)
	}
	return o, nil
}

// Delete removes key's object.
func (s *S3) Delete(ctx context.Context, key string) error {
	if err := checkKey(key); err != nil {
		return err
	}
	if err := s.c.RemoveObject(ctx, s.bucket, key, minio.RemoveObjectOptions{}); err != nil {
		return fmt.Errorf("blobstore: delete %s: %w", key, err)
	}
	return nil
}

// Check asks whether the bucket exists with these credentials.
func (s *S3) Check(ctx context.Context) error {
	ok, err := s.c.BucketExists(ctx, s.bucket)
	if err != nil {
		return fmt.Errorf("blobstore: %s: %w", s.name, err)
	}
	if !ok {
		return fmt.Errorf("blobstore: %s does not exist", s.name)
	}
	return nil
}

func (s *S3) String() string { return s.name }
