package files_test

import (
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fastcms/internal/apptest"
	"fastcms/internal/files"
	"fastcms/internal/storage"
)

// Sweep removes old blobs without a row (a crash between storing the
// bytes and writing the row) and day-old temporary files (a crash mid
// write), and leaves files, young blobs (uploads in flight) and young
// temporary files alone.
func TestSweepRemovesOrphans(t *testing.T) {
	s := apptest.Start(t)
	u := newUser(t, s)
	root := filepath.Join(s.Config.DataDir, "files")
	disk, err := storage.NewDisk(root)
	if err != nil {
		t.Fatal(err)
	}
	svc := files.New(s.DB(t), files.Stores{Current: "local", All: map[string]storage.Store{"local": disk}}, func() files.Policy { return files.Policy{MaxSize: 1 << 20} }, slog.New(slog.NewTextHandler(io.Discard, nil)))
	ctx := t.Context()
	old := time.Now().Add(-2 * time.Hour)
	age := func(key string, when time.Time) {
		t.Helper()
		if err := os.Chtimes(filepath.Join(root, diskPath(key)), when, when); err != nil {
			t.Fatal(err)
		}
	}
	kept := uploaded(t, s, u.Access, "kept.txt", []byte("kept"))
	age(kept, old)
	orphan, young := "0b3c9a5e-7a4f-4a59-8c2e-1f0d7c1e2a01", "0c3c9a5e-7a4f-4a59-8c2e-1f0d7c1e2a02"
	for _, k := range []string{orphan, young} {
		if _, err := disk.Put(ctx, k, strings.NewReader("lost")); err != nil {
			t.Fatal(err)
		}
	}
	age(orphan, old)
	staleTmp, freshTmp := filepath.Join(root, "0b", ".tmp-x-1"), filepath.Join(root, "0b", ".tmp-y-2")
	for _, p := range []string{staleTmp, freshTmp} {
		if err := os.WriteFile(p, []byte("part"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	dayOld := time.Now().Add(-25 * time.Hour)
	if err := os.Chtimes(staleTmp, dayOld, dayOld); err != nil {
		t.Fatal(err)
	}

	n, err := svc.Sweep(ctx, files.OrphanAge)
	if err != nil || n != 1 {
		t.Fatalf("Sweep: removed %d, %v; want 1", n, err)
	}
	got := stored(t, s)
	for _, p := range []string{diskPath(kept), diskPath(young), "0b/.tmp-y-2"} {
		if _, ok := got[p]; !ok {
			t.Errorf("%s was removed", p)
		}
	}
	for _, p := range []string{diskPath(orphan), "0b/.tmp-x-1"} {
		if _, ok := got[p]; ok {
			t.Errorf("%s was kept", p)
		}
	}
	if r := send(t, s, http.MethodGet, "/api/v1/files/"+kept+"/download", nil, u.Access); r.Status != http.StatusOK || string(r.Body) != "kept" {
		t.Fatalf("kept file: %d %q", r.Status, r.Body)
	}
}
