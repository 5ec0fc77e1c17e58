package backups_test

import (
	"bytes"
	"context"
	"errors"
	"math/rand/v2"
	"net/http"
	"strings"
	"testing"

	"fastcms/internal/app"
	"fastcms/internal/config"
	"fastcms/internal/s3test"
	"fastcms/internal/storage"
)

// A file whose row names another backend than the current one (stored
// before the backend was switched) is backed up from that backend and
// restored byte-exactly into the current one, its row then naming it; the
// replaced row's blob is removed from the backend that held it. A row
// naming a backend the instance lacks fails the backup, naming the file.
func TestBackupReadsEachFileFromItsBackend(t *testing.T) {
	conf := s3test.Start(t)
	// The current backend is the disk; the bucket stays configured, as
	// after switching back from S3.
	s := start(t, func(c *config.Config, _ *app.Options) { c.Storage = config.Storage{Backend: "local", S3: conf} })
	bucket, err := storage.NewS3(storage.S3Config{Bucket: conf.Bucket, Region: conf.Region, Endpoint: conf.Endpoint,
		AccessKey: conf.AccessKeyID, SecretKey: conf.SecretAccessKey, PathStyle: true})
	if err != nil {
		t.Fatal(err)
	}
	tok, _ := setup(t, s)
	body := make([]byte, 300<<10)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range body {
		body[i] = byte(rng.UintN(256))
	}
	id := uploadFile(t, s, tok, "in-s3.bin", body)
	// Move its bytes into the bucket, as if stored while S3 was current.
	ctx, disk := context.Background(), store(t, s)
	if _, err := bucket.Put(ctx, id, bytes.NewReader(body)); err != nil {
		t.Fatal(err)
	}
	if err := disk.Delete(ctx, id); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DB(t).ExecContext(ctx, `UPDATE files SET backend = 's3' WHERE id = ?`, id); err != nil {
		t.Fatal(err)
	}
	download := func() {
		t.Helper()
		r := s.Do(t, http.MethodGet, "/api/v1/files/"+id+"/download", nil, tok)
		if r.Status != http.StatusOK || !bytes.Equal(r.Body, body) {
			t.Fatalf("download: %d, %d bytes, equal %v", r.Status, len(r.Body), bytes.Equal(r.Body, body))
		}
	}
	download()

	b := createBackup(t, s, tok)
	r := s.Do(t, http.MethodPost, "/api/v1/backups/"+b["id"].(string)+"/restore", nil, tok)
	if r.Status != http.StatusOK {
		t.Fatalf("restore: %d %s", r.Status, r.Body)
	}
	tok = login(t, s, "root@example.com") // a restore ends every session
	var backend string
	if err := s.DB(t).QueryRowContext(ctx, `SELECT backend FROM files WHERE id = ?`, id).Scan(&backend); err != nil {
		t.Fatal(err)
	}
	if backend != "local" {
		t.Fatalf("restored row's backend = %q, want local", backend)
	}
	if _, err := disk.Stat(ctx, id); err != nil {
		t.Fatalf("restored bytes not on disk: %v", err)
	}
	if _, err := bucket.Stat(ctx, id); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("the replaced row's blob is still in the bucket: %v", err)
	}
	download()

	// A row naming a backend this instance lacks: the backup fails clearly.
	if _, err := s.DB(t).ExecContext(ctx, `UPDATE files SET backend = 'gcs' WHERE id = ?`, id); err != nil {
		t.Fatal(err)
	}
	r = s.Do(t, http.MethodPost, "/api/v1/backups", nil, tok)
	if r.Status != http.StatusCreated {
		t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	failed := waitBackup(t, s, tok, r.JSON(t)["id"].(string))
	want := "file " + id + ": it is in the storage backend gcs, which this instance is not configured for"
	if failed["status"] != "failed" || !strings.Contains(failed["error"].(string), want) {
		t.Fatalf("backup with a file in an unknown backend: %v", failed)
	}
}
