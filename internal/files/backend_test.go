package files_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"fastcms/internal/app"
	"fastcms/internal/apptest"
	"fastcms/internal/config"
	"fastcms/internal/s3test"
	"fastcms/internal/storage"
)

// The settings choose the backend of an instance at its start, where the
// environment says nothing; each file stays readable from the backend it
// was stored in after the backend changes.
func TestBackendBySettings(t *testing.T) {
	conf := s3test.Start(t)
	a := apptest.Start(t)
	root, u := admin(t, a), newUser(t, a)
	old := uploaded(t, a, u.Access, "old.txt", []byte("stored on disk"))

	set := map[string]any{"storage_backend": "s3", "s3_bucket": conf.Bucket, "s3_region": conf.Region, "s3_endpoint": conf.Endpoint,
		"s3_access_key_id": conf.AccessKeyID, "s3_secret_access_key": conf.SecretAccessKey}
	for k, v := range set {
		r := a.Do(t, http.MethodPost, "/api/v1/settings", map[string]any{"key": k, "value": v}, root.Access)
		if r.Status != http.StatusOK {
			t.Fatalf("set %s: %d %s", k, r.Status, r.Body)
		}
		if secret := k == "s3_access_key_id" || k == "s3_secret_access_key"; secret && r.JSON(t)["value"] != nil {
			t.Fatalf("%s shown: %s", k, r.Body)
		}
		t.Cleanup(func() { a.Do(t, http.MethodDelete, "/api/v1/settings/"+k, nil, root.Access) })
	}
	sameDisk := func(c *config.Config, _ *app.Options) { c.DataDir = a.Config.DataDir }
	b := apptest.Start(t, sameDisk)
	fresh := uploaded(t, b, u.Access, "new.txt", []byte("stored in the bucket"))
	bucket, err := storage.NewS3(storage.S3Config{Bucket: conf.Bucket, Region: conf.Region, Endpoint: conf.Endpoint,
		AccessKey: conf.AccessKeyID, SecretKey: conf.SecretAccessKey, PathStyle: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bucket.Stat(context.Background(), fresh); err != nil {
		t.Fatalf("new upload not in the bucket: %v", err)
	}
	if _, err := bucket.Stat(context.Background(), old); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("old file in the bucket: %v", err)
	}
	for id, body := range map[string]string{old: "stored on disk", fresh: "stored in the bucket"} {
		if r := send(t, b, http.MethodGet, "/api/v1/files/"+id+"/download", nil, u.Access); r.Status != http.StatusOK || !bytes.Equal(r.Body, []byte(body)) {
			t.Fatalf("download %s: %d %q", id, r.Status, r.Body)
		}
	}
	// The instance started before the change keeps its backend until it
	// restarts; a file of a backend it lacks is unavailable, not lost.
	apptest.ExpectError(t, send(t, a, http.MethodGet, "/api/v1/files/"+fresh+"/download", nil, u.Access), http.StatusServiceUnavailable,
		"storage unavailable", "file "+fresh+" is in the storage backend s3, which this instance is not configured for", nil)

	// STORAGE_BACKEND set in the environment wins over the setting.
	explicit := func(c *config.Config, o *app.Options) {
		sameDisk(c, o)
		loaded, err := config.Load(nil, func(k string) string { return map[string]string{"STORAGE_BACKEND": "local"}[k] })
		if err != nil {
			t.Fatal(err)
		}
		c.Storage = loaded.Storage
	}
	c := apptest.Start(t, explicit)
	local := uploaded(t, c, u.Access, "local.txt", []byte("on disk again"))
	if _, err := os.Stat(filepath.Join(a.Config.DataDir, "files", diskPath(local))); err != nil {
		t.Fatalf("upload with STORAGE_BACKEND=local: %v", err)
	}
	if r := send(t, c, http.MethodGet, "/api/v1/files/"+fresh+"/download", nil, u.Access); r.Status != http.StatusOK {
		t.Fatalf("s3 file from the instance on local disk (the bucket still configured): %d %s", r.Status, r.Body)
	}

	// Deleting goes to the file's own backend.
	for _, id := range []string{old, fresh} {
		if r := b.Do(t, http.MethodDelete, "/api/v1/files/"+id, nil, u.Access); r.Status != http.StatusNoContent {
			t.Fatalf("delete %s: %d %s", id, r.Status, r.Body)
		}
	}
	if _, err := bucket.Stat(context.Background(), fresh); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("deleted file still in the bucket: %v", err)
	}
	if _, err := os.Stat(filepath.Join(a.Config.DataDir, "files", diskPath(old))); !os.IsNotExist(err) {
		t.Fatalf("deleted file still on disk: %v", err)
	}
}
