package backups_test

import (
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"fastcms/internal/pgtest"
)

// TestBackupTiming measures backup and restore of 100k records beside
// pg_dump/pg_restore of the same database. Opt-in: BACKUP_BENCH=1.
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
	t0 := time.Now()
	b := createBackup(t, s, tok)
	backup := time.Since(t0)
	t0 = time.Now()
	r := s.Do(t, http.MethodPost, "/api/v1/backups/"+b["id"].(string)+"/restore", nil, tok)
	if r.Status != http.StatusOK {
		t.Fatalf("restore: %d %s", r.Status, r.Body)
	}
	restore := time.Since(t0)
	t.Logf("fastcms: backup %v (%.0f bytes), restore %v", backup, b["size_bytes"], restore)

	dump := filepath.Join(t.TempDir(), "db.dump")
	t0 = time.Now()
	if out, err := exec.Command("pg_dump", "-Fc", "-f", dump, pgtest.URL()).CombinedOutput(); err != nil {
		t.Skipf("pg_dump: %v %s", err, out)
	}
	pgDump := time.Since(t0)
	st, _ := os.Stat(dump)
	t0 = time.Now()
	if out, err := exec.Command("pg_restore", "--clean", "--single-transaction", "-d", pgtest.URL(), dump).CombinedOutput(); err != nil {
		t.Fatalf("pg_restore: %v %s", err, out)
	}
	t.Logf("pg_dump -Fc %v (%d bytes), pg_restore --clean --single-transaction %v", pgDump, st.Size(), time.Since(t0))
}
