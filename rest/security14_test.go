package rest_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"fastcms/internal/app"
	"fastcms/internal/apptest"
	"fastcms/internal/config"
)

// sec14Server runs the app behind the http.Server that cmd fastcms uses
// (app.NewServer), with short timeouts: 300 ms to send a request, 1.5 s to
// take a response (or a chunk of an export), 20 s for a whole CSV stream.
func sec14Server(t *testing.T) (*apptest.Server, *httptest.Server) {
	t.Helper()
	s := apptest.Start(t, func(c *config.Config, _ *app.Options) {
		c.HTTP = config.HTTP{ReadTimeout: 300 * time.Millisecond, WriteTimeout: 1500 * time.Millisecond, StreamTimeout: 20 * time.Second}
	})
	ts := httptest.NewUnstartedServer(s.App.Handler)
	ts.Config = app.NewServer(s.Config, s.App.Handler)
	ts.Start()
	t.Cleanup(ts.Close)
	return s, ts
}

// sec14InUse is the number of the server's database connections in use.
func sec14InUse(t *testing.T, s *apptest.Server) int { return s.DB(t).Stats().InUse }

// sec14WaitIdle waits until no database connection is in use.
func sec14WaitIdle(t *testing.T, s *apptest.Server, within time.Duration, what string) {
	t.Helper()
	for end := time.Now().Add(within); sec14InUse(t, s) != 0; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatalf("%s: %d database connections still in use after %s", what, sec14InUse(t, s), within)
		}
	}
}

// sec14Dial opens a raw connection with a receive buffer of buffer bytes,
// so a client that reads slowly soon blocks the server's writes.
func sec14Dial(t *testing.T, ts *httptest.Server, buffer int) *net.TCPConn {
	t.Helper()
	c, err := net.Dial("tcp", ts.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	tc := c.(*net.TCPConn)
	if buffer > 0 {
		if err := tc.SetReadBuffer(buffer); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() { tc.Close() })
	return tc
}

// A client that trickles its CSV upload holds no database connection: the
// import reads the whole file before it starts its transaction. The
// upload may take longer than the read timeout of other requests.
func TestSecurity14SlowImportHoldsNoConnection(t *testing.T) {
	t.Parallel()
	s, ts := sec14Server(t)
	root := admin(t, s)
	name := newName("slowimport")
	createCollection(t, s, root.Access, map[string]any{"name": name, "schema": []any{field("title", "text")}, "list_rule": "", "view_rule": ""})
	var rows strings.Builder
	rows.WriteString("title\n")
	for i := range 200 {
		fmt.Fprintf(&rows, "row %d\n", i)
	}
	body, ct := csvForm(t, rows.String())
	half := len(body) / 2

	sec14WaitIdle(t, s, 5*time.Second, "before the import")
	c := sec14Dial(t, ts, 4096)
	fmt.Fprintf(c, "POST /api/v1/collections/%s/records/import/csv HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n%s",
		name, root.Access, ct, len(body), body[:half])
	// Other tests' writes and collection changes make every server read
	// the event log or reload its registry, each taking a connection for a
	// moment: an import that held one would keep the pool busy in every
	// sample, so one idle sample shows it holds none.
	samples, busy := 0, 0
	for end := time.Now().Add(time.Second); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		samples++
		if sec14InUse(t, s) != 0 {
			busy++
		}
	}
	if busy == samples {
		t.Fatalf("a half-sent import held a database connection in all %d samples", samples)
	}
	if _, err := io.WriteString(c, body[half:]); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated || string(got) != `{"imported":200,"total":200,"errors":[]}`+"\n" {
		t.Fatalf("import after a slow upload: %d %s", resp.StatusCode, got)
	}
}

// sec14BigCollection is a collection whose CSV export is about 18 MB, more
// than the socket buffers between a client and the server hold.
func sec14BigCollection(t *testing.T, s *apptest.Server, token string) (name string, size int) {
	t.Helper()
	name = newName("bigexport")
	createCollection(t, s, token, map[string]any{"name": name, "schema": []any{field("body", "text")}, "list_rule": "", "view_rule": ""})
	var rows strings.Builder
	rows.WriteString("body\n")
	cell := strings.Repeat("x", 6000)
	for range 3000 {
		rows.WriteString(cell + "\n")
	}
	if r := csvImport(t, s, name, rows.String(), token); r.Status != http.StatusCreated {
		t.Fatalf("import: %d %s", r.Status, r.Body)
	}
	return name, rows.Len()
}

// An export whose client stops reading is cut once a chunk waits longer
// than the write timeout, which releases its rows and connection; a client
// that reads slowly but steadily gets the whole file even when that takes
// far longer than the write timeout.
func TestSecurity14SlowExportReader(t *testing.T) {
	t.Parallel()
	s, ts := sec14Server(t)
	root := admin(t, s)
	name, _ := sec14BigCollection(t, s, root.Access)
	request := fmt.Sprintf("GET /api/v1/collections/%s/records/export/csv HTTP/1.1\r\nHost: x\r\n\r\n", name)

	sec14WaitIdle(t, s, 5*time.Second, "before the export")
	stalled := sec14Dial(t, ts, 4096)
	if _, err := io.WriteString(stalled, request); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(stalled), nil)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("export: %v %v", resp, err)
	}
	time.Sleep(100 * time.Millisecond)
	if sec14InUse(t, s) == 0 {
		t.Fatal("the export was over before its client stalled; make it bigger")
	}
	sec14WaitIdle(t, s, 5*time.Second, "a stalled export")

	steady := sec14Dial(t, ts, 0)
	if _, err := io.WriteString(steady, request); err != nil {
		t.Fatal(err)
	}
	resp, err = http.ReadResponse(bufio.NewReader(steady), nil)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("export: %v %v", resp, err)
	}
	start := time.Now()
	lines, buf, spanned := 0, make([]byte, 1<<20), false
	for {
		if time.Since(start) > 2500*time.Millisecond && !spanned {
			spanned = sec14InUse(t, s) > 0
		}
		n, err := io.ReadFull(resp.Body, buf)
		lines += strings.Count(string(buf[:n]), "\n")
		if err != nil {
			if err != io.EOF && err != io.ErrUnexpectedEOF {
				t.Fatalf("after %d lines in %s: %v", lines, time.Since(start), err)
			}
			break
		}
		time.Sleep(250 * time.Millisecond)
	}
	if lines != 3001 || !spanned {
		t.Fatalf("a steady reader got %d lines in %s; export still running after 2.5 s: %v", lines, time.Since(start), spanned)
	}
	sec14WaitIdle(t, s, 5*time.Second, "after the export")
}

// Websockets outlive their request: the server's read and write timeouts
// do not apply to them.
func TestSecurity14WebsocketOutlivesTimeouts(t *testing.T) {
	t.Parallel()
	_, ts := sec14Server(t)
	d := websocket.Dialer{Subprotocols: []string{"graphql-transport-ws"}}
	c, _, err := d.Dial("ws"+strings.TrimPrefix(ts.URL, "http")+"/graphql", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	exchange := func(send, want string) {
		t.Helper()
		if err := c.WriteMessage(websocket.TextMessage, []byte(send)); err != nil {
			t.Fatal(err)
		}
		c.SetReadDeadline(time.Now().Add(5 * time.Second)) //nolint:errcheck // the read reports it
		_, msg, err := c.ReadMessage()
		if err != nil || strings.TrimSpace(string(msg)) != want {
			t.Fatalf("sent %s: got %s %v, want %s", send, msg, err, want)
		}
	}
	exchange(`{"type":"connection_init"}`, `{"type":"connection_ack"}`)
	time.Sleep(time.Second)
	exchange(`{"type":"ping"}`, `{"type":"pong"}`)
	exchange(`{"id":"1","type":"subscribe","payload":{"query":"{ __typename }"}}`, `{"payload":{"data":{"__typename":"Query"}},"id":"1","type":"next"}`)
}
