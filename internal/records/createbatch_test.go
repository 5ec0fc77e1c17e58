package records

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"fastcms/internal/apierr"
	"fastcms/internal/auth"
	"fastcms/internal/collections"
	"fastcms/internal/opt"
)

// waitUntil polls ok for up to ten seconds.
func waitUntil(t *testing.T, what string, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !ok(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// waitingCreates is how many creates wait for a statement of notes' shape.
func (s *Service) waitingCreates() int {
	s.creates.mu.Lock()
	defer s.creates.mu.Unlock()
	n := 0
	for _, q := range s.creates.shapes {
		n += len(q.waiting)
	}
	return n
}

type createResult struct {
	title string
	rec   json.RawMessage
	err   error
}

// Creates that arrive while a statement of their shape runs go together
// as one statement, and each gets exactly the answer it would have had
// alone: its record, the create rule's 403, or, when one row makes the
// shared statement fail, each runs alone and only that one fails.
// Not parallel: the statement observer is process-wide.
func TestConcurrentCreatesShareAStatement(t *testing.T) {
	ctx := context.Background()
	db, registry, log := testRegistry(t)
	svc := New(db, registry)
	admin := auth.NewContext(ctx, &auth.Principal{UserID: "00000000-0000-4000-8000-000000000001", Role: auth.RoleAdmin}, nil)
	user := auth.NewContext(ctx, &auth.Principal{UserID: "00000000-0000-4000-8000-000000000002", Role: auth.RoleUser}, nil)
	cols := collections.NewService(db, registry, log, collections.Options{})
	people, notes := "cb_people", "cb_notes"
	everyone, notNo := "", `title != "no"`
	for _, in := range []collections.Input{
		{Name: opt.Some(people), Schema: opt.Some([]*collections.Field{{Name: "name", Type: "text"}})},
		{Name: opt.Some(notes), CreateRule: opt.Some(&notNo), ViewRule: opt.Some(&everyone), Schema: opt.Some([]*collections.Field{
			{Name: "title", Type: "text"},
			{Name: "mail", Type: "email", Validation: collections.Validation{Unique: true}},
			{Name: "author", Type: "relation", Relation: &collections.RelationOptions{Collection: people}},
		})},
	} {
		if _, err := cols.Create(admin, in); err != nil {
			t.Fatal(err)
		}
	}
	raw, err := svc.Create(admin, people, map[string]any{"name": "Ann"})
	if err != nil {
		t.Fatal(err)
	}
	var ann struct{ ID string }
	if err := json.Unmarshal(raw, &ann); err != nil {
		t.Fatal(err)
	}

	// No stall bypass while the test queues creates at its own pace.
	svc.creates.stall = time.Hour
	blocked := func() int {
		var n int
		if err := db.DB.QueryRowContext(ctx, `SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE 'WITH new AS%'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	// holdAnn locks Ann's row until the transaction ends: a create naming
	// her waits in its foreign key check.
	holdAnn := func() *sql.Tx {
		t.Helper()
		tx, err := db.DB.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tx.ExecContext(ctx, "SELECT 1 FROM "+collections.TableOf(people)+" WHERE id = $1 FOR UPDATE", ann.ID); err != nil {
			t.Fatal(err)
		}
		return tx
	}
	// round holds Ann's row (every create names her, and gives the same
	// fields: a create of other fields has another shape) so that the
	// foreign key checks of the first maxRunningBatches creates keep their
	// statements running; queues the others behind them one by one (so
	// they run in this order); then lets go, and returns every answer and
	// the statements sent after the first ones.
	round := func(datas []map[string]any) ([]createResult, []string) {
		t.Helper()
		tx := holdAnn()
		defer tx.Rollback() //nolint:errcheck // rolled back below
		results := make([]createResult, len(datas))
		var wg sync.WaitGroup
		start := func(i int) {
			wg.Add(1)
			go func() {
				defer wg.Done()
				data := map[string]any{"author": ann.ID}
				for k, v := range datas[i] {
					data[k] = v
				}
				rec, err := svc.Create(user, notes, data)
				results[i] = createResult{title: datas[i]["title"].(string), rec: rec, err: err}
			}()
		}
		for i := 0; i < maxRunningBatches; i++ {
			start(i)
			waitUntil(t, fmt.Sprintf("create %d to wait for the row lock", i), func() bool { return blocked() == i+1 })
		}
		for i := maxRunningBatches; i < len(datas); i++ {
			start(i)
			waitUntil(t, fmt.Sprintf("create %d to queue", i), func() bool { return svc.waitingCreates() == i-maxRunningBatches+1 })
		}
		var mu sync.Mutex
		var stmts []string
		stop := ObserveStatements(func(q string) {
			if strings.HasPrefix(q, "WITH new AS") {
				mu.Lock()
				defer mu.Unlock()
				stmts = append(stmts, q)
			}
		})
		if err := tx.Rollback(); err != nil {
			t.Fatal(err)
		}
		wg.Wait()
		stop()
		return results, stmts
	}
	rows := func(stmt string) int { return strings.Count(stmt, "), ($") + 1 }
	expect := func(results []createResult, want map[string]string) {
		t.Helper()
		for _, r := range results {
			switch why := want[r.title]; {
			case why == "" && r.err != nil:
				t.Errorf("create %q: %v", r.title, r.err)
			case why == "":
				var rec struct{ Data map[string]any }
				if err := json.Unmarshal(r.rec, &rec); err != nil || rec.Data["title"] != r.title {
					t.Errorf("create %q answered %s", r.title, r.rec)
				}
			default:
				e, ok := apierr.As(r.err)
				if !ok || fmt.Sprintf("%d %s", e.Status, e.Message) != why {
					t.Errorf("create %q: got %v (%s), want %s", r.title, r.err, r.rec, why)
				}
			}
		}
	}

	results, stmts := round([]map[string]any{
		{"title": "first", "mail": "f@x.io"}, {"title": "second", "mail": "s@x.io"}, {"title": "a", "mail": "a@x.io"}, {"title": "no", "mail": "n@x.io"}, {"title": "b", "mail": "b@x.io"}, {"title": "c", "mail": "c@x.io"},
	})
	expect(results, map[string]string{"no": "403 the create rule of cb_notes does not allow this record"})
	if len(stmts) != 1 || rows(stmts[0]) != 4 {
		t.Fatalf("the four waiting creates sent %d statements (%v), want one of 4 rows", len(stmts), stmts)
	}

	// "a@x.io" is taken: the shared statement fails, and each create runs
	// alone. The two "d@x.io" go in order, so the second one is refused.
	results, stmts = round([]map[string]any{
		{"title": "first2", "mail": "f2@x.io"}, {"title": "second2", "mail": "s2@x.io"}, {"title": "d1", "mail": "d@x.io"}, {"title": "dup", "mail": "a@x.io"}, {"title": "d2", "mail": "d@x.io"}, {"title": "e", "mail": "e@x.io"},
	})
	expect(results, map[string]string{"dup": "409 mail: value must be unique", "d2": "409 mail: value must be unique"})
	if len(stmts) != 5 || rows(stmts[0]) != 4 {
		t.Fatalf("sent %d statements, want one of 4 rows, then each alone", len(stmts))
	}
	var n int
	if err := db.DB.QueryRowContext(ctx, "SELECT count(*) FROM events WHERE collection = $1", notes).Scan(&n); err != nil || n != 9 {
		t.Fatalf("%d events logged (%v), want one per record: 9", n, err)
	}

	// Statements stalled on a lock do not hold up every create of the
	// collection: once none has started or ended for the stall time, a
	// create goes alone instead of queueing.
	svc.creates.stall = 50 * time.Millisecond
	tx := holdAnn()
	defer tx.Rollback() //nolint:errcheck // rolled back below
	var wg sync.WaitGroup
	for i := range maxRunningBatches + 1 {
		if i == maxRunningBatches {
			time.Sleep(60 * time.Millisecond)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := svc.Create(user, notes, map[string]any{"title": "s", "author": ann.ID, "mail": fmt.Sprintf("stall%d@x.io", i)}); err != nil {
				t.Error(err)
			}
		}()
		waitUntil(t, fmt.Sprintf("stalled create %d to wait for the row lock", i), func() bool { return blocked() == i+1 })
	}
	if n := svc.waitingCreates(); n != 0 {
		t.Fatalf("%d creates queued behind stalled statements", n)
	}
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
}
