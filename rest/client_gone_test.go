package rest_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"fastcms/internal/apptest"
)

// lockedBuffer is a log destination that the server's goroutines share.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// A client that hangs up while its request waits for the database is not
// an internal error: nothing is logged at ERROR for it. (Not parallel: it
// swaps the process's default logger.)
func TestClientGoneIsNotAnError(t *testing.T) {
	var logs lockedBuffer
	saved := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	defer slog.SetDefault(saved)

	s := apptest.Start(t)
	root := admin(t, s)
	name := newName("gone")
	createCollection(t, s, root.Access, map[string]any{"name": name, "schema": []any{field("title", "text")}, "list_rule": "", "view_rule": ""})
	done := sec04Hold(t, fmt.Sprintf(`LOCK TABLE data.%q IN ACCESS EXCLUSIVE MODE`, name), 2*time.Second)

	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.URL+"/api/v1/collections/"+name+"/records", nil)
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("the request answered %d while its table was locked", resp.StatusCode)
	}
	<-done
	time.Sleep(100 * time.Millisecond) // the handler finishes after the lock is gone
	if strings.Contains(logs.String(), "level=ERROR") {
		t.Fatalf("a client that went away was logged as an error:\n%s", logs.String())
	}
}
