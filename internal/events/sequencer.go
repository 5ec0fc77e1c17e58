package events

import (
	"context"
	"database/sql"
	"log/slog"
	"time"

	_ "github.com/lib/pq" // the sequencer opens its own connection
)

// Sequencing. Writers insert events with an insertion id and no seq, and
// hold no lock for it: a lock held through every write's commit (and
// NOTIFY's queue lock, taken at commit) made record writes commit one at a
// time. Instead one sequencer per database, elected with a session
// advisory lock, stamps the events that have committed with consecutive
// seqs, in batches, each batch in one transaction of its own that also
// sends one NOTIFY. Then:
//   - seq order is the order in which events became visible to the
//     sequencer, and a batch's seqs become visible together at its commit,
//     so a reader that has seen seq n has seen every event below n: seq
//     never has a hole that a later commit fills (PgQ's ticker gives the
//     same guarantee with transaction snapshots);
//   - within a batch events go by insertion id, which keeps the order of a
//     transaction's own events and of two writes to one record (the second
//     takes its row lock only after the first committed, so its event's
//     id is larger);
//   - an event committed by a write is stamped however the server died:
//     the next sequencer to be elected (on any instance, or this one after
//     a restart) finds it unstamped.

// sequencerLock elects the sequencer (a session-level advisory lock, freed
// when its connection dies).
const sequencerLock = 727_011

// sequencerBatch bounds the events stamped in one transaction.
const sequencerBatch = 2000

// Sequencer polling: after stamping a partial batch it waits stampPace
// (after a full one it goes on at once); with nothing to stamp it waits
// minPoll, doubling up to maxPoll while the log stays quiet. Writers do not
// wake it: they would have to do so after their commit, which costs them a
// round trip, and a few milliseconds of extra latency for subscribers is
// cheaper than that. The pace is there because a stamp costs PostgreSQL
// about 0.5 ms however few events it stamps: looking again at once, it
// stamped 3 events at a time under 4,000 creates/s and took as much of
// PostgreSQL as the creates' own statements.
const (
	minPoll   = time.Millisecond
	maxPoll   = 20 * time.Millisecond
	stampPace = 4 * time.Millisecond
	// electPoll is how often an instance that is not the sequencer tries
	// to become it.
	electPoll = time.Second
)

// Sequencer stamps committed events with seq while its instance holds
// the election; every instance runs one and at most one of them works.
type Sequencer struct {
	db     *sql.DB
	log    *slog.Logger
	cancel context.CancelFunc
	done   chan struct{}
	// stamped, if set, is called after each batch (the local broker reads
	// at once instead of waiting for the NOTIFY to come back).
	stamped func()
}

// StartSequencer runs a sequencer contender until Close, on a connection
// of its own to dsn (outside the request pool, which it would otherwise
// hold one connection of for as long as it leads).
func StartSequencer(dsn string, log *slog.Logger, stamped func()) (*Sequencer, error) {
	db, err := sql.Open("postgres", dsn)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	ctx, cancel := context.WithCancel(context.Background())
	s := &Sequencer{db: db, log: log, cancel: cancel, done: make(chan struct{}), stamped: stamped}
	go s.run(ctx)
	return s, nil
}

// Close stops the sequencer and gives up the election.
func (s *Sequencer) Close() {
	s.cancel()
	<-s.done
	s.db.Close()
}

func (s *Sequencer) run(ctx context.Context) {
	defer close(s.done)
	for ctx.Err() == nil {
		if err := s.lead(ctx); err != nil && ctx.Err() == nil {
			s.log.Error("sequencing events", "err", err)
		}
		select {
		case <-ctx.Done():
		case <-time.After(electPoll):
		}
	}
}

// lead tries to win the election and, while it holds it, stamps events.
func (s *Sequencer) lead(ctx context.Context) error {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	var won bool
	if err := conn.QueryRowContext(ctx, "SELECT pg_try_advisory_lock($1)", sequencerLock).Scan(&won); err != nil || !won {
		return err
	}
	// Closing the connection ends the session and frees the lock; unlock
	// explicitly too, since the pool may keep the connection.
	defer conn.ExecContext(context.Background(), "SELECT pg_advisory_unlock($1)", sequencerLock) //nolint:errcheck // the session ends anyway
	// The unstamped events are found through an index whose entries of
	// stamped events stay until VACUUM. A bitmap scan (the planner's choice
	// for "seq IS NULL") checks every such entry against the heap again on
	// every stamp, and never marks them dead: under a steady write load a
	// stamp of 18 events read 31,808 heap tuples and 2,188 pages. A plain
	// index scan marks the entries it finds dead (kill_prior_tuple), so the
	// next stamp skips them.
	if _, err := conn.ExecContext(ctx, "SET enable_bitmapscan = off"); err != nil {
		return err
	}
	stmt, err := conn.PrepareContext(ctx, stampSQL)
	if err != nil {
		return err
	}
	defer stmt.Close()
	wait := minPoll
	for {
		var n int64
		if err := stmt.QueryRowContext(ctx, sequencerBatch, Channel).Scan(&n, new(sql.NullString)); err != nil {
			return err
		}
		if n > 0 {
			wait = minPoll
			if s.stamped != nil {
				s.stamped()
			}
			if n == sequencerBatch {
				continue
			}
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(stampPace):
			}
			continue
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(wait):
		}
		wait = min(2*wait, maxPoll)
	}
}

// stampSQL gives the oldest unsequenced committed events the next seqs
// and, if there were any, announces the last of them (the NOTIFY's
// payload), in one statement (so one
// transaction and one round trip); it returns how many it stamped. Only
// the elected sequencer runs it, so max(seq) is its own last stamp. It is
// prepared once per election: planning it cost more than running it.
const stampSQL = `WITH stamped AS (UPDATE events e SET seq = b.seq
		FROM (SELECT id, (SELECT COALESCE(max(seq), 0) FROM events) + row_number() OVER (ORDER BY id) AS seq
		      FROM (SELECT id FROM events WHERE seq IS NULL ORDER BY id LIMIT $1) u) b
		WHERE e.id = b.id RETURNING e.seq),
	n AS (SELECT count(*) AS n, max(seq) AS last FROM stamped)
	SELECT n, CASE WHEN n > 0 THEN pg_notify($2, last::text)::text END FROM n`

// LogEnd is the seq of the last event once every event committed before
// the call has its seq: what a reader starting "now" has seen. It waits
// (a few milliseconds, the sequencer's polling) for the events committed
// but not yet stamped, so that a subscription opened after a write never
// receives that write's event.
func LogEnd(ctx context.Context, db *sql.DB) (int64, error) {
	var pending sql.NullInt64
	if err := db.QueryRowContext(ctx, "SELECT max(id) FROM events WHERE seq IS NULL").Scan(&pending); err != nil {
		return 0, err
	}
	for wait := minPoll; pending.Valid; wait = min(2*wait, maxPoll) {
		var left bool
		if err := db.QueryRowContext(ctx, "SELECT EXISTS (SELECT 1 FROM events WHERE seq IS NULL AND id <= $1)", pending.Int64).Scan(&left); err != nil {
			return 0, err
		}
		if !left {
			break
		}
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(wait):
		}
	}
	return End(ctx, db)
}
