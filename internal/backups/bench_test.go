package backups_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"fastcms/internal/backups"
	"fastcms/internal/pgtest"
)

// TestBackupTiming measures backup and restore of 100k records and 100
// MiB of stored files (100 files of 1 MiB of random bytes) beside
// pg_dump/pg_restore of the same database and tar -czf of the files
// directory, which together do what one backup does. The restore's time
// includes its pre-restore backup. Opt-in: BACKUP_BENCH=1.
func TestBackupTiming(t *testing.T) {
	if os.Getenv("BACKUP_BENCH") == "" {
		t.Skip("set BACKUP_BENCH=1")
	}
	s := start(t)
	tok, _ := setup(t, s)
	if _, err := s.DB(t).ExecContext(context.Background(),
		`INSERT INTO data."posts" (title, rank) SELECT 'record number ' || g, g FROM generate_series(1, 100000) g`); err != nil {
		t.Fatal(err)
	}
	st := store(t, s)
	blob := make([]byte, 1<<20)
	for i := range 100 {
		rand.Read(blob) //nolint:errcheck // never fails
		id := uuid.NewString()
		if _, err := st.Put(context.Background(), id, bytes.NewReader(blob)); err != nil {
			t.Fatal(err)
		}
		if _, err := s.DB(t).ExecContext(context.Background(), `INSERT INTO files (id, filename, original_filename, mime_type, size, sha256)
			VALUES (?, ?, ?, 'application/octet-stream', ?, '')`, id, id, fmt.Sprintf("blob%d.bin", i), len(blob)); err != nil {
			t.Fatal(err)
		}
	}
	t0 := time.Now()
	b := createBackup(t, s, tok)
	backup := time.Since(t0)
	t0 = time.Now()
	r := s.Do(t, http.MethodPost, "/api/v1/backups/"+b["id"].(string)+"/restore", nil, tok)
	if r.Status != http.StatusOK {
		t.Fatalf("restore: %d %s", r.Status, r.Body)
	}
	restore := time.Since(t0)
	var pre time.Duration
	tok = login(t, s, "root@example.com")
	for _, it := range s.Do(t, http.MethodGet, "/api/v1/backups", nil, tok).JSON(t)["items"].([]any) {
		if it := it.(map[string]any); strings.HasPrefix(it["filename"].(string), backups.PreRestorePrefix) {
			created, _ := time.Parse(time.RFC3339Nano, it["created"].(string))
			completed, _ := time.Parse(time.RFC3339Nano, it["completed"].(string))
			pre = completed.Sub(created)
		}
	}
	t.Logf("fastcms: backup %v (%.0f bytes), restore %v (of which the pre-restore backup %v)", backup, b["size_bytes"], restore, pre)

	dump := filepath.Join(t.TempDir(), "db.dump")
	t0 = time.Now()
	if out, err := exec.Command("pg_dump", "-Fc", "-f", dump, pgtest.URL()).CombinedOutput(); err != nil {
		t.Skipf("pg_dump: %v %s", err, out)
	}
	pgDump := time.Since(t0)
	info, _ := os.Stat(dump)
	t0 = time.Now()
	if out, err := exec.Command("pg_restore", "--clean", "--single-transaction", "-d", pgtest.URL(), dump).CombinedOutput(); err != nil {
		t.Fatalf("pg_restore: %v %s", err, out)
	}
	t.Logf("pg_dump -Fc %v (%d bytes), pg_restore --clean --single-transaction %v", pgDump, info.Size(), time.Since(t0))
	tarball := filepath.Join(t.TempDir(), "files.tar.gz")
	t0 = time.Now()
	if out, err := exec.Command("tar", "-czf", tarball, "--exclude=./"+backups.KeyPrefix+"*", "-C", filepath.Join(s.Config.DataDir, "files"), ".").CombinedOutput(); err != nil {
		t.Fatalf("tar: %v %s", err, out)
	}
	tarTime := time.Since(t0)
	t0 = time.Now()
	if out, err := exec.Command("tar", "-xzf", tarball, "-C", t.TempDir()).CombinedOutput(); err != nil {
		t.Fatalf("untar: %v %s", err, out)
	}
	t.Logf("tar -czf of the files directory %v, tar -xzf %v", tarTime, time.Since(t0))
}
