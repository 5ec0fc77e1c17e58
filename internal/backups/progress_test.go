package backups

import (
	"io"
	"strings"
	"testing"
)

// The counter counts the bytes written through it and reports the tables
// and files as the job advances them.
func TestCounter(t *testing.T) {
	c := &counter{}
	if got := c.progress(); got != (Progress{}) {
		t.Fatalf("new counter: %+v", got)
	}
	c.tablesTotal.Store(7)
	c.filesTotal.Store(2)
	c.tablesDone.Add(1)
	c.tablesDone.Add(1)
	c.filesDone.Add(1)
	var sink strings.Builder
	if n, err := io.Copy(io.MultiWriter(&sink, c), strings.NewReader(strings.Repeat("x", 100000))); err != nil || n != 100000 {
		t.Fatalf("copy: %d %v", n, err)
	}
	if _, err := c.Write([]byte("tail")); err != nil {
		t.Fatal(err)
	}
	if got, want := c.progress(), (Progress{TablesDone: 2, TablesTotal: 7, FilesDone: 1, FilesTotal: 2, Bytes: 100004}); got != want {
		t.Fatalf("progress %+v, want %+v", got, want)
	}
	m := &Manifest{Parts: make([]Part, 7), Files: make([]File, 3)}
	if got, want := manifestProgress(m, 512), (Progress{TablesDone: 7, TablesTotal: 7, FilesDone: 3, FilesTotal: 3, Bytes: 512}); got != want {
		t.Fatalf("manifest progress %+v, want %+v", got, want)
	}
}
