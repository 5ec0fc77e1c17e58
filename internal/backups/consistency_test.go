package backups_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"

	"fastcms/internal/backups"
)

// Writers commit one row into posts and its twin into mirror per
// transaction while a backup runs: the archive must hold both of every
// pair or neither, which only one snapshot across tables gives.
func TestWritesDuringBackupLeaveAConsistentArchive(t *testing.T) {
	s := start(t)
	tok, _ := setup(t, s)
	r := s.Do(t, http.MethodPost, "/api/v1/collections", map[string]any{"name": "mirror",
		"schema": []any{map[string]any{"name": "rank", "type": "number"}}}, tok)
	if r.Status != http.StatusCreated {
		t.Fatalf("create collection: %d %s", r.Status, r.Body)
	}
	db := s.DB(t)
	ctx := context.Background()
	// Enough rows that the backup takes a while to read.
	if _, err := db.ExecContext(ctx, `INSERT INTO data."posts" (title, rank) SELECT 'seed', -g FROM generate_series(1, 20000) g;
		INSERT INTO data."mirror" (rank) SELECT -g FROM generate_series(1, 20000) g`); err != nil {
		t.Fatal(err)
	}
	var next atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				n := 1_000_000 + next.Add(1)
				tx, err := db.BeginTx(ctx, nil)
				if err != nil {
					t.Error(err)
					return
				}
				_, err1 := tx.ExecContext(ctx, `INSERT INTO data."posts" (title, rank) VALUES ('w', ?)`, n)
				_, err2 := tx.ExecContext(ctx, `INSERT INTO data."mirror" (rank) VALUES (?)`, n)
				if err1 != nil || err2 != nil {
					tx.Rollback() //nolint:errcheck // failing anyway
					t.Error(err1, err2)
					return
				}
				if err := tx.Commit(); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	b := createBackup(t, s, tok)
	close(stop)
	wg.Wait()

	r = s.Do(t, http.MethodGet, "/api/v1/backups/"+b["id"].(string)+"/download", nil, tok)
	entries := readArchive(t, bytes.NewReader(r.Body))
	var m backups.Manifest
	if err := json.Unmarshal(entries[len(entries)-1].body, &m); err != nil {
		t.Fatal(err)
	}
	ranks := map[string]map[float64]bool{}
	for i, p := range m.Parts {
		if p.Table != "data.posts" && p.Table != "data.mirror" {
			continue
		}
		set := map[float64]bool{}
		sc := bufio.NewScanner(bytes.NewReader(entries[i].body))
		lines := int64(0)
		for sc.Scan() {
			var row struct{ Rank float64 }
			if err := json.Unmarshal(sc.Bytes(), &row); err != nil {
				t.Fatal(err)
			}
			set[row.Rank] = true
			lines++
		}
		if lines != p.Rows {
			t.Fatalf("%s: %d lines, manifest says %d", p.Table, lines, p.Rows)
		}
		ranks[p.Table] = set
	}
	// posts also holds the three setup records (ranks 0-2); mirror does not;
	// the writers' ranks start above a million.
	for _, n := range []float64{0, 1, 2} {
		delete(ranks["data.posts"], n)
	}
	if len(ranks["data.posts"]) != len(ranks["data.mirror"]) {
		t.Fatalf("posts has %d pairs, mirror %d", len(ranks["data.posts"]), len(ranks["data.mirror"]))
	}
	for n := range ranks["data.mirror"] {
		if !ranks["data.posts"][n] {
			t.Fatalf("rank %v in mirror but not in posts", n)
		}
	}
	t.Logf("%d writer pairs committed in all, %d in the archive", next.Load(), len(ranks["data.mirror"])-20000)
}
