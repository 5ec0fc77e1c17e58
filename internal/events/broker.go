package events

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/lib/pq"

	"fastcms/internal/notify"
)

// pollInterval is how often the broker reads the log even without a
// NOTIFY: a safety net, never the normal path.
const pollInterval = time.Second

// ErrOverflow ends a subscription whose reader fell too far behind: its
// buffer filled, and blocking would hold up every other subscriber.
var ErrOverflow = errors.New("events: subscriber too slow, buffer full")

// Broker follows the event log and fans events out to this instance's
// subscribers. It reads each event from the database once, whatever the
// number of subscribers.
type Broker struct {
	db        *sql.DB
	log       *slog.Logger
	retention func() time.Duration
	// maxReplay caps how many events a resuming subscription may replay.
	maxReplay int

	mu     sync.Mutex
	cursor int64 // last seq dispatched
	// subs are the subscriptions by collection id: an event costs only
	// its own collection's subscribers.
	subs   map[string]map[*Subscription]struct{}
	wake   chan struct{}
	done   chan struct{}
	cancel context.CancelFunc
}

// NewBroker starts following the log from its current end. Events older
// than retention() are deleted as the broker goes, every minute and at once
// when retention changes (by every instance; the deletes are idempotent).
func NewBroker(db *sql.DB, hub *notify.Hub, log *slog.Logger, retention func() time.Duration) (*Broker, error) {
	b := &Broker{db: db, log: log, retention: retention, maxReplay: MaxReplay, subs: map[string]map[*Subscription]struct{}{}, wake: make(chan struct{}, 1), done: make(chan struct{})}
	var err error
	if b.cursor, err = End(context.Background(), db); err != nil {
		return nil, err
	}
	if _, err := hub.Subscribe(Channel, b.announced); err != nil {
		return nil, err
	}
	hub.OnReconnect(b.Wake)
	ctx, cancel := context.WithCancel(context.Background())
	b.cancel = cancel
	go b.run(ctx)
	return b, nil
}

// Wake makes the broker read the log now (and prune it, if the retention
// changed): the sequencer of this instance calls it after each batch, other
// instances hear of it through NOTIFY, and the settings after each change.
func (b *Broker) Wake() {
	select {
	case b.wake <- struct{}{}:
	default:
	}
}

// Cursor is the seq of the last event the broker has read: it grows with
// every change of any instance, once sequenced.
func (b *Broker) Cursor() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.cursor
}

// announced wakes the broker for a NOTIFY of the sequencer, whose payload
// is the last seq it stamped, unless the broker has read that far already
// (this instance's sequencer woke it directly).
func (b *Broker) announced(payload string) {
	if last, err := strconv.ParseInt(payload, 10, 64); err == nil {
		b.mu.Lock()
		seen := last <= b.cursor
		b.mu.Unlock()
		if seen {
			return
		}
	}
	b.Wake()
}

// Close stops the broker and ends every subscription.
func (b *Broker) Close() {
	b.cancel()
	<-b.done
	b.mu.Lock()
	var subs []*Subscription
	for _, set := range b.subs {
		for s := range set {
			subs = append(subs, s)
		}
	}
	b.mu.Unlock()
	for _, s := range subs {
		s.end(context.Canceled)
	}
}

func (b *Broker) run(ctx context.Context) {
	defer close(b.done)
	tick := time.NewTicker(pollInterval)
	defer tick.Stop()
	pruned, prunedFor := time.Now(), b.retention()
	for {
		select {
		case <-ctx.Done():
			return
		case <-b.wake:
		case <-tick.C:
		}
		if keep := b.retention(); keep != prunedFor || time.Since(pruned) > time.Minute {
			pruned, prunedFor = time.Now(), keep
			if _, err := b.db.ExecContext(ctx, "DELETE FROM events WHERE seq IS NOT NULL AND created < now() - make_interval(secs => $1)", keep.Seconds()); err != nil && ctx.Err() == nil {
				b.log.Error("pruning events", "err", err)
			}
		}
		if err := b.drain(ctx); err != nil && ctx.Err() == nil {
			b.log.Error("reading events", "err", err)
		}
	}
}

// drain dispatches every event after the cursor, in seq order. It reads
// only the events of collections someone here follows: every write of
// every instance is in the log, and reading each one's data back with no
// subscriber for it cost as much PostgreSQL time as a third of the write.
// The cursor moves to the log's end all the same, so a subscription
// starting now has its seam there.
func (b *Broker) drain(ctx context.Context) error {
	for {
		b.mu.Lock()
		after := b.cursor
		followed := make([]string, 0, len(b.subs))
		for id := range b.subs {
			followed = append(followed, id)
		}
		b.mu.Unlock()
		end, err := End(ctx, b.db)
		if err != nil || end <= after {
			return err
		}
		var batch []Event
		if len(followed) > 0 {
			if batch, err = Read(ctx, b.db, after, end, drainBatch, followed); err != nil {
				return err
			}
		}
		b.mu.Lock()
		if !b.follows(followed) {
			// A collection's first subscriber came while reading: its seam
			// is the old cursor, so its events must be read too.
			b.mu.Unlock()
			continue
		}
		for _, ev := range batch {
			for s := range b.subs[ev.CollectionID] {
				s.offer(ev)
			}
		}
		full := len(batch) == drainBatch
		if full {
			b.cursor = batch[len(batch)-1].Seq
		} else {
			b.cursor = end
		}
		b.mu.Unlock()
		// A short batch was the log's end: reading on would cost a query
		// per wake that finds nothing.
		if !full {
			return nil
		}
	}
}

// follows reports whether every collection with a subscriber here is in
// read. The caller holds b.mu.
func (b *Broker) follows(read []string) bool {
	if len(b.subs) > len(read) {
		return false
	}
	for id := range b.subs {
		if !slices.Contains(read, id) {
			return false
		}
	}
	return true
}

// drainBatch bounds the events the broker reads in one query.
const drainBatch = 500

// Querier is what Read and End need of a pool or a transaction.
type Querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// End is the seq of the last sequenced event: every event up to it is
// visible to whoever reads it (a batch of seqs commits at once, and
// batches commit in order).
func End(ctx context.Context, q Querier) (int64, error) {
	var end int64
	err := q.QueryRowContext(ctx, "SELECT COALESCE(max(seq), 0) FROM events").Scan(&end)
	return end, err
}

// Read returns at most limit events with after < seq (≤ upTo when upTo >
// 0), of the collections given only when there are any, in order.
func Read(ctx context.Context, db Querier, after, upTo int64, limit int, collectionIDs []string) ([]Event, error) {
	q := `SELECT seq, collection_id, collection, op, record_id, data, old, created FROM events WHERE seq > $1`
	args := []any{after, limit}
	if upTo > 0 {
		args = append(args, upTo)
		q += fmt.Sprintf(` AND seq <= $%d`, len(args))
	}
	switch len(collectionIDs) {
	case 0:
	case 1:
		args = append(args, collectionIDs[0])
		q += fmt.Sprintf(` AND collection_id = $%d`, len(args))
	default:
		args = append(args, pq.Array(collectionIDs))
		q += fmt.Sprintf(` AND collection_id = ANY($%d::uuid[])`, len(args))
	}
	q += ` ORDER BY seq LIMIT $2`
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Event
	for rows.Next() {
		var ev Event
		var data, old []byte
		if err := rows.Scan(&ev.Seq, &ev.CollectionID, &ev.Collection, &ev.Op, &ev.RecordID, &data, &old, &ev.Created); err != nil {
			return nil, err
		}
		ev.Data, ev.Old = data, old
		out = append(out, ev)
	}
	return out, rows.Err()
}

// Subscription receives the events of one collection on C, in seq order,
// until Err is set and C is closed.
type Subscription struct {
	C <-chan Event

	b            *Broker
	collectionID string
	out          chan Event
	stop         chan struct{}
	// live is the queue of live events the reader has not taken yet, at
	// most buffer long; ready signals that it is not empty. A queue rather
	// than a buffered channel: an idle subscription holds no buffer.
	live   []Event
	buffer int
	ready  chan struct{}

	once sync.Once
	mu   sync.Mutex
	err  error
}

// Subscribe follows collectionID's events. With afterSeq ≥ 0 it first
// replays the logged events after afterSeq, then goes live with no gap and
// no duplicate at the seam (ErrTooOld before the retained log,
// ErrReplayTooLong with more than MaxReplay events of the collection to
// catch up on); with afterSeq < 0 it starts with the first
// event committed after the call. buffer bounds how far the reader may fall
// behind before ErrOverflow ends it.
func (b *Broker) Subscribe(ctx context.Context, collectionID string, afterSeq int64, buffer int) (*Subscription, error) {
	resume := afterSeq >= 0
	if !resume {
		var err error
		if afterSeq, err = LogEnd(ctx, b.db); err != nil {
			return nil, err
		}
	}
	s := &Subscription{b: b, collectionID: collectionID, out: make(chan Event), buffer: buffer, ready: make(chan struct{}, 1), stop: make(chan struct{})}
	s.C = s.out
	b.mu.Lock()
	seam := b.cursor
	set := b.subs[collectionID]
	if set == nil {
		set = map[*Subscription]struct{}{}
		b.subs[collectionID] = set
	}
	set[s] = struct{}{}
	b.mu.Unlock()
	var err error
	if afterSeq < seam {
		var oldest int64
		err = b.db.QueryRowContext(ctx, "SELECT COALESCE(min(seq), $1 + 1) FROM events", seam).Scan(&oldest)
		if err == nil && afterSeq+1 < oldest {
			err = fmt.Errorf("%w: the log starts at seq %d", ErrTooOld, oldest)
		}
	}
	if err == nil && resume {
		err = b.checkReplay(ctx, collectionID, afterSeq)
	}
	if err != nil {
		s.end(err)
		return nil, err
	}
	go s.pump(afterSeq, seam)
	return s, nil
}

// MaxReplay is how many events of its collection a subscription may
// replay when it resumes (after_seq); further back, the client is better
// served by querying the current state and subscribing afresh.
const MaxReplay = 10000

// ErrReplayTooLong refuses a resume with more than MaxReplay events to replay.
var ErrReplayTooLong = errors.New("events: too many events to replay")

// checkReplay refuses a resume after afterSeq with more than maxReplay
// events of collectionID to catch up on (those logged before the broker's
// cursor, replayed, and those after it, on their way live), counting no
// further than that.
func (b *Broker) checkReplay(ctx context.Context, collectionID string, afterSeq int64) error {
	var n int
	// Events committed but not stamped yet will come after afterSeq too.
	// Two counts, not one with "OR seq IS NULL": each has an index of its own.
	err := b.db.QueryRowContext(ctx, `SELECT
		(SELECT count(*) FROM (SELECT 1 FROM events WHERE collection_id = $1 AND seq > $2 LIMIT $3) r) +
		(SELECT count(*) FROM (SELECT 1 FROM events WHERE seq IS NULL AND collection_id = $1 LIMIT $3) u)`,
		collectionID, afterSeq, b.maxReplay+1).Scan(&n)
	if err == nil && n > b.maxReplay {
		err = fmt.Errorf("%w: more than %d events after seq %d", ErrReplayTooLong, b.maxReplay, afterSeq)
	}
	return err
}

// ErrTooOld refuses a resume from before the retained log.
var ErrTooOld = errors.New("events: after_seq is older than the retained log")

// pump sends the replay (afterSeq, seam], then the live events (> seam),
// skipping any the replay or afterSeq already covered (the broker may lag
// behind the log when a live subscription starts).
func (s *Subscription) pump(afterSeq, seam int64) {
	defer close(s.out)
	for afterSeq < seam {
		batch, err := Read(context.Background(), s.b.db, afterSeq, seam, 500, []string{s.collectionID})
		if err != nil {
			s.end(err)
			return
		}
		if len(batch) == 0 {
			break
		}
		for _, ev := range batch {
			if !s.send(ev) {
				return
			}
		}
		afterSeq = batch[len(batch)-1].Seq
	}
	for {
		select {
		case <-s.ready:
		case <-s.stop:
			return
		}
		for {
			// One at a time, so that the queue bounds the lag as before.
			s.mu.Lock()
			if len(s.live) == 0 {
				s.live = nil // an idle subscription keeps no array
				s.mu.Unlock()
				break
			}
			ev := s.live[0]
			s.live = s.live[1:]
			s.mu.Unlock()
			if ev.Seq > afterSeq && !s.send(ev) {
				return
			}
		}
	}
}

func (s *Subscription) send(ev Event) bool {
	select {
	case s.out <- ev:
		return true
	case <-s.stop:
		return false
	}
}

// offer queues a live event without ever blocking the broker.
func (s *Subscription) offer(ev Event) {
	s.mu.Lock()
	full := len(s.live) >= s.buffer
	if !full {
		s.live = append(s.live, ev)
	}
	s.mu.Unlock()
	if full {
		go s.end(ErrOverflow) // end takes the broker's lock, which offer's caller holds
		return
	}
	select {
	case s.ready <- struct{}{}:
	default:
	}
}

// Close ends the subscription.
func (s *Subscription) Close() { s.end(nil) }

// Err says why the subscription ended (nil when closed by its owner).
func (s *Subscription) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

func (s *Subscription) end(err error) {
	s.once.Do(func() {
		s.mu.Lock()
		s.err = err
		s.mu.Unlock()
		close(s.stop)
		s.b.mu.Lock()
		if set := s.b.subs[s.collectionID]; set != nil {
			delete(set, s)
			if len(set) == 0 {
				delete(s.b.subs, s.collectionID)
			}
		}
		s.b.mu.Unlock()
	})
}
