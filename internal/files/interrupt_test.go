package files_test

import (
	"bytes"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"fastcms/internal/apptest"
)

// An upload cut off mid-way leaves nothing: while it arrives its bytes
// are already in a temporary file in storage (streamed, not buffered),
// and once the client is gone that file is removed and no row written.
func TestInterruptedUploadLeavesNothing(t *testing.T) {
	s := apptest.Start(t)
	u := newUser(t, s)
	before := storedKeys(t, s)
	conn, err := net.Dial("tcp", s.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	head := "--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"cut.bin\"\r\nContent-Type: application/octet-stream\r\n\r\n"
	fmt.Fprintf(conn, "POST /api/v1/files HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Type: multipart/form-data; boundary=b\r\nContent-Length: %d\r\n\r\n%s",
		u.Access, 8<<20, head)
	conn.Write(bytes.Repeat([]byte{1}, 1<<20))

	waitFor(t, "a temporary file while the upload arrives", func() bool {
		for _, k := range storedKeys(t, s) {
			if strings.Contains(k, ".tmp-") {
				return true
			}
		}
		return false
	})
	conn.Close()
	waitFor(t, "storage as before the upload", func() bool { return fmt.Sprint(storedKeys(t, s)) == fmt.Sprint(before) })
	var rows int
	if err := s.DB(t).NewRaw("SELECT count(*) FROM files WHERE user_id = ?", u.ID).Scan(t.Context(), &rows); err != nil || rows != 0 {
		t.Fatalf("rows after a cut upload: %d, %v", rows, err)
	}
}

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !ok(); {
		if time.Now().After(deadline) {
			t.Fatalf("no %s after 5 s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
