package database

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"testing"
)

// With nothing listening at the URL but PostgreSQL installed, EnsureServer
// starts a private cluster that Open and Migrate can use, and stops it.
func TestEnsureServerStartsPrivateCluster(t *testing.T) {
	if findPostgresBin() == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("PostgreSQL's binaries are not installed")
		}
		t.Skip("PostgreSQL's binaries are not installed")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	dataDir := filepath.Join(t.TempDir(), "data")
	// As root the cluster runs as postgres, which must pass through the
	// test's temporary directories (created 0700).
	for dir := filepath.Dir(dataDir); dir != os.TempDir() && dir != "/"; dir = filepath.Dir(dir) {
		if err := os.Chmod(dir, 0o711); err != nil {
			t.Fatal(err)
		}
	}
	dsn := fmt.Sprintf("postgres://postgres@127.0.0.1:%d/fastcms_private?sslmode=disable", port)
	stop, err := EnsureServer(dsn, dataDir, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	stopped := false
	defer func() {
		if !stopped {
			stop()
		}
	}()
	db, err := Open(context.Background(), dsn, 0)
	if err != nil {
		t.Fatal(err)
	}
	var one int
	if err := db.QueryRow("SELECT 1").Scan(&one); err != nil || one != 1 {
		t.Fatalf("query: %v", err)
	}
	db.Close()
	stop()
	stopped = true
	if c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port)); err == nil {
		c.Close()
		t.Fatal("the private cluster still answers after stop")
	}
}
