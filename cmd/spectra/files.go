package main

import (
	"context"
	"path/filepath"

	"github.com/spectra-lab/spectra/internal/blobstore"
)

// fileStore is where uploaded files are kept: the S3 bucket if one is
// configured, else a directory (SPECTRA_FILES_DIR, or files under the
// data directory). It is checked before it is used: a bucket that does
// not exist or credentials that do not open it fail the start.
func (e *env) fileStore(ctx context.Context) (blobstore.Store, error) {
	var (
		st  blobstore.Store
		err error
	)
	if s3 := e.cfg.S3; s3.Bucket != "" {
		st, err = blobstore.NewS3(blobstore.S3Options{Endpoint: s3.Endpoint, Bucket: s3.Bucket, Region: s3.Region,
			AccessKeyID: s3.AccessKeyID, SecretAccessKey: s3.SecretAccessKey, PathStyle: s3.PathStyle})
	} else {
		dir := e.cfg.FilesDir
		if dir == "" {
			dir = filepath.Join(e.cfg.DataDir, "files")
		}
		st, err = blobstore.NewDir(dir)
	}
	if err != nil {
		return nil, err
	}
	if err := st.Check(ctx); err != nil {
		return nil, err
	}
	e.logger.Info("files are kept in the " + st.String())
	return st, nil
}
