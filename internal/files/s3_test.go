package files_test

import (
	"bytes"
	"context"
	"errors"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"testing"

	"fastcms/internal/app"
	"fastcms/internal/apptest"
	"fastcms/internal/config"
	"fastcms/internal/s3test"
	"fastcms/internal/storage"
)

// The S3 backend against a real S3 server (versitygw): two instances over
// one bucket see each other's files; a byte-exact round trip of text and
// of binary past one multipart part; ranges; 413 at the limit + 1 with
// no object left; another user's file 404; delete removes the object.
func TestS3Backend(t *testing.T) {
	conf := s3test.Start(t)
	withS3 := func(c *config.Config, _ *app.Options) { c.Storage = config.Storage{Backend: "s3", S3: conf} }
	a, b := apptest.Start(t, withS3), apptest.Start(t, withS3)
	bucket, err := storage.NewS3(storage.S3Config{Bucket: conf.Bucket, Region: conf.Region, Endpoint: conf.Endpoint,
		AccessKey: conf.AccessKeyID, SecretKey: conf.SecretAccessKey, PathStyle: true})
	if err != nil {
		t.Fatal(err)
	}
	objects := func() []string {
		t.Helper()
		var keys []string
		if err := bucket.List(context.Background(), func(o storage.Info) error { keys = append(keys, o.Key); return nil }); err != nil {
			t.Fatal(err)
		}
		slices.Sort(keys)
		return keys
	}
	root := admin(t, a)
	u, other := newUser(t, a), newUser(t, a)

	bin := make([]byte, 9<<20+12345) // two parts of a multipart upload
	rng := rand.New(rand.NewPCG(5, 6))
	for i := range bin {
		bin[i] = byte(rng.UintN(256))
	}
	text := []byte("over S3: ünïcödé\n")
	var ids []string
	for _, c := range []struct {
		name, mime string
		body       []byte
	}{{"big.bin", "application/octet-stream", bin}, {"s3.txt", "text/plain; charset=utf-8", text}} {
		r := upload(t, a, u.Access, fileP(c.name, c.body))
		apptest.ExpectJSON(t, r, http.StatusCreated, fileJSON(apptest.AnyUUID, u.ID, c.name, c.mime, len(c.body)))
		id := r.JSON(t)["id"].(string)
		ids = append(ids, id)
		d := send(t, b, http.MethodGet, "/api/v1/files/"+id+"/download", nil, u.Access) // the other instance
		if d.Status != http.StatusOK || !bytes.Equal(d.Body, c.body) || d.Header.Get("ETag") != `"`+sum(c.body)+`"` {
			t.Fatalf("%s from the other instance: %d, %d bytes, ETag %s", c.name, d.Status, len(d.Body), d.Header.Get("ETag"))
		}
	}
	big := ids[0]
	slices.Sort(ids)
	if got := objects(); !slices.Equal(got, ids) {
		t.Fatalf("bucket holds %v, want %v", got, ids)
	}
	r := send(t, b, http.MethodGet, "/api/v1/files/"+big+"/download", nil, u.Access, "Range", "bytes=8388600-8388615")
	if r.Status != http.StatusPartialContent || !bytes.Equal(r.Body, bin[8388600:8388616]) ||
		r.Header.Get("Content-Range") != "bytes 8388600-8388615/"+strconv.Itoa(len(bin)) {
		t.Fatalf("range across the part boundary: %d %q %s", r.Status, r.Body, r.Header.Get("Content-Range"))
	}
	apptest.ExpectError(t, b.Do(t, http.MethodGet, "/api/v1/files/"+big, nil, other.Access), http.StatusNotFound, "not found", "file not found", nil)

	if r := a.Do(t, http.MethodPost, "/api/v1/settings", map[string]any{"key": "max_file_size", "value": 9 << 20}, root.Access); r.Status != http.StatusOK {
		t.Fatalf("set max_file_size: %d %s", r.Status, r.Body)
	}
	t.Cleanup(func() { a.Do(t, http.MethodDelete, "/api/v1/settings/max_file_size", nil, root.Access) })
	before := objects()
	apptest.ExpectError(t, upload(t, a, u.Access, fileP("over.bin", bin[:9<<20+1])), http.StatusRequestEntityTooLarge,
		"file too large", "file is larger than max_file_size (9437184 bytes)", nil)
	if after := objects(); !slices.Equal(before, after) {
		t.Fatalf("bucket after refused uploads: %v, before %v", after, before)
	}

	if r := b.Do(t, http.MethodDelete, "/api/v1/files/"+big, nil, u.Access); r.Status != http.StatusNoContent {
		t.Fatalf("delete: %d %s", r.Status, r.Body)
	}
	if _, err := bucket.Stat(context.Background(), big); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("object after delete: %v", err)
	}
	apptest.ExpectError(t, a.Do(t, http.MethodGet, "/api/v1/files/"+big+"/download", nil, u.Access), http.StatusNotFound, "not found", "file not found", nil)
}
