package backups_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"fastcms/internal/app"
	"fastcms/internal/apptest"
	"fastcms/internal/backups"
	"fastcms/internal/config"
	"fastcms/internal/storage"
)

// A backup left running by a server that stopped mid-write (its heartbeat
// older than the lease) is marked failed by the next instance to start,
// and its partial archive removed; a running backup whose server still
// beats is left alone.
func TestInterruptedBackupIsMarkedFailed(t *testing.T) {
	s := start(t)
	tok, _ := setup(t, s)
	ctx, db := context.Background(), s.DB(t)
	var stale, live string
	if err := db.QueryRowContext(ctx, `INSERT INTO backups (filename, heartbeat, tables_done, tables_total, bytes)
		VALUES ('backup-stale.tar.gz', now() - interval '2 minutes', 3, 7, 4096) RETURNING id`).Scan(&stale); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRowContext(ctx, `INSERT INTO backups (filename) VALUES ('backup-live.tar.gz') RETURNING id`).Scan(&live); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.ExecContext(ctx, `DELETE FROM backups WHERE id = ?`, live) }) //nolint:errcheck // best effort
	st := store(t, s)
	if _, err := st.Put(ctx, backups.KeyPrefix+stale, strings.NewReader("the first part of an archive")); err != nil {
		t.Fatal(err)
	}
	apptest.ExpectError(t, s.Do(t, http.MethodDelete, "/api/v1/backups/"+stale, nil, tok), http.StatusConflict, "conflict",
		`backup "`+stale+`" is still running`, nil)

	// The next instance to start over the same database and storage.
	other := apptest.Start(t, func(c *config.Config, _ *app.Options) { c.DataDir = s.Config.DataDir })
	apptest.ExpectJSON(t, other.Do(t, http.MethodGet, "/api/v1/backups", nil, tok), http.StatusOK, map[string]any{"items": []any{
		map[string]any{"id": stale, "filename": "backup-stale.tar.gz", "size_bytes": 0.0, "status": "failed", "error": backups.Interrupted,
			"created": apptest.AnyTime, "completed": apptest.AnyTime, "progress": progress(3, 7, 0, 0, 4096.0)},
		map[string]any{"id": live, "filename": "backup-live.tar.gz", "size_bytes": 0.0, "status": "running",
			"created": apptest.AnyTime, "completed": nil, "progress": progress(0, 0, 0, 0, 0.0)},
	}, "page": 1.0, "per_page": 20.0, "total": 2.0, "total_pages": 1.0})
	if _, err := st.Stat(ctx, backups.KeyPrefix+stale); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("the partial archive is still stored: %v", err)
	}
	if r := other.Do(t, http.MethodDelete, "/api/v1/backups/"+stale, nil, tok); r.Status != http.StatusNoContent {
		t.Fatalf("delete the failed backup: %d %s", r.Status, r.Body)
	}
}

// Instances already running find interrupted backups too, as they look at
// the schedule.
func TestRunningInstanceFindsInterruptedBackups(t *testing.T) {
	t.Cleanup(backups.SetSchedule(5*time.Millisecond, time.Now))
	s := start(t)
	ctx, db := context.Background(), s.DB(t)
	var later string
	if err := db.QueryRowContext(ctx, `INSERT INTO backups (filename, heartbeat) VALUES ('backup-later.tar.gz', now() - interval '2 minutes')
		RETURNING id`).Scan(&later); err != nil {
		t.Fatal(err)
	}
	apptest.WaitFor(t, "a running instance marks it failed", func() bool {
		var status, msg string
		if err := db.QueryRowContext(ctx, `SELECT status, error FROM backups WHERE id = ?`, later).Scan(&status, &msg); err != nil {
			t.Fatal(err)
		}
		return status == backups.Failed && msg == backups.Interrupted
	})
}

// A running backup shows how far it got: held after its first table, the
// list shows one of its seven tables written and its one file to come;
// once completed, everything written and bytes equal to its size.
func TestProgressOfARunningBackup(t *testing.T) {
	reached, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	t.Cleanup(backups.SetProgress(5*time.Millisecond, func(ctx context.Context) {
		once.Do(func() {
			close(reached)
			select {
			case <-release:
			case <-ctx.Done(): // the server closes
			}
		})
	}))
	s := start(t)
	tok, _ := setup(t, s)
	r := s.Do(t, http.MethodPost, "/api/v1/backups", nil, tok)
	if r.Status != http.StatusCreated {
		t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	id := r.JSON(t)["id"].(string)
	<-reached
	var list *apptest.Response
	apptest.WaitFor(t, "the first table's progress", func() bool {
		list = s.Do(t, http.MethodGet, "/api/v1/backups", nil, tok)
		p, _ := list.JSON(t)["items"].([]any)[0].(map[string]any)["progress"].(map[string]any)
		return p["tables_done"] == 1.0
	})
	running := map[string]any{"id": id, "filename": apptest.AnyString, "size_bytes": 0.0, "status": "running",
		"created": apptest.AnyTime, "completed": nil, "progress": progress(1, 7, 0, 1, apptest.AnyNumber)}
	apptest.ExpectJSON(t, list, http.StatusOK, map[string]any{"items": []any{running},
		"page": 1.0, "per_page": 20.0, "total": 1.0, "total_pages": 1.0})
	apptest.ExpectJSON(t, s.Do(t, http.MethodGet, "/api/v1/backups/"+id, nil, tok), http.StatusOK, running)
	close(release)
	b := waitBackup(t, s, tok, id)
	apptest.ExpectJSON(t, s.Do(t, http.MethodGet, "/api/v1/backups", nil, tok), http.StatusOK, map[string]any{"items": []any{
		map[string]any{"id": id, "filename": apptest.AnyString, "size_bytes": b["size_bytes"], "status": "completed",
			"created": apptest.AnyTime, "completed": apptest.AnyTime, "progress": progress(7, 7, 1, 1, b["size_bytes"])},
	}, "page": 1.0, "per_page": 20.0, "total": 1.0, "total_pages": 1.0})
}

// A server stopped while its backup runs ends it failed as interrupted,
// with the progress it reached, and removes its partial archive.
func TestStoppingTheServerFailsItsBackup(t *testing.T) {
	reached := make(chan struct{})
	var once sync.Once
	t.Cleanup(backups.SetProgress(5*time.Millisecond, func(ctx context.Context) {
		once.Do(func() {
			close(reached)
			<-ctx.Done()
		})
	}))
	s := start(t)
	other := apptest.Start(t, func(c *config.Config, _ *app.Options) { c.DataDir = s.Config.DataDir })
	tok, _ := setup(t, s)
	r := s.Do(t, http.MethodPost, "/api/v1/backups", nil, tok)
	if r.Status != http.StatusCreated {
		t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	id := r.JSON(t)["id"].(string)
	<-reached
	s.App.Drain()
	if err := s.App.Close(); err != nil {
		t.Fatal(err)
	}
	apptest.ExpectJSON(t, other.Do(t, http.MethodGet, "/api/v1/backups", nil, tok), http.StatusOK, map[string]any{"items": []any{
		map[string]any{"id": id, "filename": apptest.AnyString, "size_bytes": 0.0, "status": "failed", "error": backups.Interrupted,
			"created": apptest.AnyTime, "completed": apptest.AnyTime, "progress": progress(1, 7, 0, 1, apptest.AnyNumber)},
	}, "page": 1.0, "per_page": 20.0, "total": 1.0, "total_pages": 1.0})
	if _, err := store(t, s).Stat(context.Background(), backups.KeyPrefix+id); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("the partial archive is still stored: %v", err)
	}
}
