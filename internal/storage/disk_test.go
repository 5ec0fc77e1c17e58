package storage_test

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fastcms/internal/storage"
)

// failAfter yields its data, then fails as a cut upload would.
type failAfter struct{ r io.Reader }

func (f failAfter) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	if errors.Is(err, io.EOF) {
		return n, errors.New("connection reset")
	}
	return n, err
}

func TestDisk(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	d, err := storage.NewDisk(root)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := d.Put(ctx, "abc-1", strings.NewReader("hello world")); err != nil || n != 11 {
		t.Fatalf("Put: %d %v", n, err)
	}
	for _, c := range []struct {
		off, n int64
		want   string
	}{{0, -1, "hello world"}, {6, -1, "world"}, {2, 3, "llo"}, {10, 5, "d"}} {
		rc, err := d.Open(ctx, "abc-1", c.off, c.n)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(rc)
		rc.Close()
		if string(b) != c.want {
			t.Errorf("Open(%d, %d) = %q, want %q", c.off, c.n, b, c.want)
		}
	}
	if info, err := d.Stat(ctx, "abc-1"); err != nil || info.Size != 11 {
		t.Fatalf("Stat: %+v %v", info, err)
	}

	// A failed Put leaves nothing, not even its temporary file.
	if _, err := d.Put(ctx, "abc-2", failAfter{strings.NewReader("partial")}); err == nil {
		t.Fatal("Put of a failing reader succeeded")
	}
	if _, err := d.Stat(ctx, "abc-2"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("Stat after failed Put: %v", err)
	}
	entries, _ := os.ReadDir(filepath.Join(root, "ab"))
	if len(entries) != 1 || entries[0].Name() != "abc-1" {
		t.Fatalf("directory holds %v", entries)
	}

	for _, key := range []string{"", "../x", "a/b", "..", "a.b", strings.Repeat("a", 129)} {
		if _, err := d.Put(ctx, key, strings.NewReader("x")); !errors.Is(err, storage.ErrBadKey) {
			t.Errorf("Put(%q): %v, want ErrBadKey", key, err)
		}
		if _, err := d.Open(ctx, key, 0, -1); !errors.Is(err, storage.ErrBadKey) {
			t.Errorf("Open(%q): %v, want ErrBadKey", key, err)
		}
	}

	if err := d.Delete(ctx, "abc-1"); err != nil {
		t.Fatal(err)
	}
	if err := d.Delete(ctx, "abc-1"); err != nil {
		t.Fatalf("second Delete: %v", err)
	}
	if _, err := d.Open(ctx, "abc-1", 0, -1); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("Open after Delete: %v", err)
	}
}
