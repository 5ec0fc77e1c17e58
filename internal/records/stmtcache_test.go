package records

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"fastcms/internal/pgtest"
)

// preparedCount is how many statements the cache's connection holds
// prepared on the server.
func preparedCount(t *testing.T, c *stmtCache) int {
	t.Helper()
	var n int
	if err := c.db.QueryRow("SELECT count(*) FROM pg_prepared_statements").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// The cache answers like the pool, keeps at most its size of statements
// (the least recently used leave and are closed on the server), and a
// statement evicted while others run it stays usable until they are done.
func TestStmtCacheEvictsAndAnswers(t *testing.T) {
	db := pgtest.Open(t).DB
	db.SetMaxOpenConns(1) // pg_prepared_statements is per connection
	c := newStmtCache(db, 2)
	ctx := context.Background()
	ask := func(k int) {
		t.Helper()
		var got int
		if err := scanRow(ctx, c, fmt.Sprintf("SELECT $1::int + %d", k), []any{1}, &got); err != nil {
			t.Fatal(err)
		}
		if got != k+1 {
			t.Fatalf("SELECT 1 + %d = %d", k, got)
		}
	}
	ask(1)
	ask(2)
	ask(1) // 2 is now the least recently used
	ask(3)
	if _, ok := c.byQ["SELECT $1::int + 2"]; ok || len(c.byQ) != 2 || c.lru.Len() != 2 {
		t.Fatalf("cached %v, want the texts of 1 and 3", c.byQ)
	}
	// Closing is asynchronous (a round trip per connection).
	for i := 0; preparedCount(t, c) != 2; i++ {
		if i == 1000 {
			t.Fatalf("%d statements prepared on the server, want 2", preparedCount(t, c))
		}
	}
	ask(2) // prepared again

	// Many callers on few texts with a cache of two: statements are
	// evicted while in use and every answer is still right.
	db.SetMaxOpenConns(4)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				k := (g + i) % 5
				var got int
				if err := scanRow(ctx, c, fmt.Sprintf("SELECT $1::int + %d", k), []any{1}, &got); err != nil || got != k+1 {
					errs <- fmt.Errorf("SELECT 1 + %d = %d, %v", k, got, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}
