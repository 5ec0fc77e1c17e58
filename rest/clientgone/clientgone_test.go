// Package clientgone_test checks what the server logs when a client hangs
// up. It is a package of its own because it swaps the process's default
// logger, which no other test may write to meanwhile.
package clientgone_test

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
	"fastcms/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

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
// an internal error: nothing is logged at ERROR for it.
func TestClientGoneIsNotAnError(t *testing.T) {
	var logs lockedBuffer
	saved := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	defer slog.SetDefault(saved)

	s := apptest.Start(t)
	pw := "secret123"
	r := s.Do(t, http.MethodPost, "/api/v1/setup", map[string]any{"email": "root@gone.test", "password": pw, "password_confirm": pw}, "")
	if r.Status != http.StatusCreated {
		t.Fatalf("setup: %d %s", r.Status, r.Body)
	}
	token := r.JSON(t)["token"].(map[string]any)["access_token"].(string)
	const name = "gone"
	r = s.Do(t, http.MethodPost, "/api/v1/collections", map[string]any{"name": name, "list_rule": "",
		"schema": []any{map[string]any{"name": "title", "type": "text"}}}, token)
	if r.Status != http.StatusCreated {
		t.Fatalf("collection: %d %s", r.Status, r.Body)
	}
	// A transaction of its own holds the table, so the list waits.
	tx, err := s.DB(t).BeginTx(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(fmt.Sprintf(`LOCK TABLE data.%q IN ACCESS EXCLUSIVE MODE`, name)); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		time.Sleep(2 * time.Second)
		tx.Rollback() //nolint:errcheck // releasing the lock is all that matters
		close(done)
	}()

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
