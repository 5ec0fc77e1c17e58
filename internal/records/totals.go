package records

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"fastcms/internal/collections"
)

// List totals. A REST list answers with the exact number of records it
// matches (total, total_pages), which PostgreSQL can only count by reading
// every matching row: 8.6 ms at 100k posts, on every default list. Instead
// the count is remembered, keyed by everything that decides it (the
// collections snapshot, the statement with the caller's rule, filter and
// search compiled in, and its parameters), for as long as no record has
// changed: a remembered count is used only while the change generation
// it was taken at is still current. The generation moves with
//   - every record write of this instance, once it has committed (wrote),
//     so a client that writes and then lists sees its write counted;
//   - every event the event log's broker has read (the log end it
//     follows), so writes of other instances count as soon as their
//     events are sequenced (a few milliseconds).
//
// Any change to any collection moves it: a rule may read other
// collections, and a delete may cascade. So totals are exact, as of the
// changes this instance has seen, with no scan while nothing changes; a
// write-heavy collection counts as before. Changes made outside FastCMS
// (SQL run by hand) log no event: a remembered count lives at most
// totalTTL.
type totals struct {
	// logEnd reports the last event seq the broker has read (nil: none).
	logEnd atomic.Pointer[func() int64]
	writes atomic.Int64

	mu sync.Mutex
	m  map[totalKey]totalEntry
}

// totalTTL bounds how long a count is trusted, for changes that log no event.
const totalTTL = 10 * time.Second

// maxTotals bounds the remembered counts; when full, they are forgotten
// together (cheaper than tracking which is oldest, and rare).
const maxTotals = 1024

type totalKey struct {
	snap  *collections.Snapshot
	query string
}

type totalEntry struct {
	gen   totalGen
	n     int
	taken time.Time
}

type totalGen struct{ logEnd, writes int64 }

// FollowLog makes totals follow the event log's end as read by this
// instance's broker (events.Broker.Cursor), so that other instances'
// writes renew them.
func (s *Service) FollowLog(logEnd func() int64) { s.totals.logEnd.Store(&logEnd) }

// wrote records that a write of this instance has committed (or failed:
// renewing a count too often is harmless). Call it when the write is over.
func (s *Service) wrote() { s.totals.writes.Add(1) }

func (t *totals) gen() totalGen {
	g := totalGen{writes: t.writes.Load()}
	if f := t.logEnd.Load(); f != nil {
		g.logEnd = (*f)()
	}
	return g
}

// count returns what SELECT count(*) query gives, remembered as above.
func (s *Service) count(ctx context.Context, snap *collections.Snapshot, query string, args []any) (int, error) {
	t := &s.totals
	key := totalKey{snap: snap, query: query + "\x00" + argsKey(args)}
	// The generation is read before counting: a change committed while
	// the count runs leaves it stored under an old generation, unused.
	gen := t.gen()
	t.mu.Lock()
	e, ok := t.m[key]
	t.mu.Unlock()
	if ok && e.gen == gen && time.Since(e.taken) < totalTTL {
		return e.n, nil
	}
	taken := time.Now()
	var n int
	if err := s.db.QueryRowContext(ctx, query, args...).Scan(&n); err != nil {
		return 0, err
	}
	t.mu.Lock()
	if t.m == nil || len(t.m) >= maxTotals {
		t.m = map[totalKey]totalEntry{}
	}
	t.m[key] = totalEntry{gen: gen, n: n, taken: taken}
	t.mu.Unlock()
	return n, nil
}

// argsKey spells parameters with their types, so that 1 and "1" differ.
func argsKey(args []any) string {
	var b strings.Builder
	for _, a := range args {
		fmt.Fprintf(&b, "%T:%v\x00", a, a)
	}
	return b.String()
}
