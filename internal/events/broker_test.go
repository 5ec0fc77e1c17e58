package events

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"fastcms/internal/notify"
	"fastcms/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// instance is one server's view of the log: its own LISTEN connection,
// broker and sequencer contender.
func instance(t *testing.T) (*sql.DB, *Broker) {
	t.Helper()
	db := pgtest.Open(t).DB
	hub, err := notify.Start(pgtest.URL(), quiet)
	if err != nil {
		t.Fatal(err)
	}
	b, err := NewBroker(db, hub, quiet, func() time.Duration { return time.Hour })
	if err != nil {
		t.Fatal(err)
	}
	seq, err := StartSequencer(pgtest.URL(), quiet, b.Wake)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { seq.Close(); b.Close(); hub.Close() })
	return db, b
}

// emit commits one event per record id, each in its own transaction.
func emit(db *sql.DB, collectionID string, ids ...string) error {
	for _, id := range ids {
		tx, err := db.Begin()
		if err != nil {
			return err
		}
		err = Emit(context.Background(), tx, collectionID, "c", []Change{{Op: Insert, RecordID: id, Data: []byte(`{"id":"` + id + `"}`)}})
		if err == nil {
			err = tx.Commit()
		}
		if err != nil {
			tx.Rollback() //nolint:errcheck // the error that matters is err
			return err
		}
	}
	return nil
}

func write(t *testing.T, db *sql.DB, collectionID string, ids ...string) {
	t.Helper()
	if err := emit(db, collectionID, ids...); err != nil {
		t.Fatal(err)
	}
}

func recordID(n int) string { return fmt.Sprintf("00000000-0000-4000-8000-%012d", n) }

func collect(t *testing.T, s *Subscription, n int) []Event {
	t.Helper()
	var out []Event
	timeout := time.After(10 * time.Second)
	for len(out) < n {
		select {
		case ev, ok := <-s.C:
			if !ok {
				t.Fatalf("subscription ended after %d of %d events: %v", len(out), n, s.Err())
			}
			out = append(out, ev)
		case <-timeout:
			t.Fatalf("got %d of %d events", len(out), n)
		}
	}
	return out
}

func expectOrdered(t *testing.T, got []Event, wantIDs []string) {
	t.Helper()
	for i, ev := range got {
		if ev.RecordID != wantIDs[i] {
			t.Fatalf("event %d is %s, want %s", i, ev.RecordID, wantIDs[i])
		}
		if i > 0 && ev.Seq <= got[i-1].Seq {
			t.Fatalf("seq %d after %d", ev.Seq, got[i-1].Seq)
		}
	}
}

// Writes on one instance reach a subscriber on another, each once, in order,
// while concurrent writers race for seqs.
func TestEventsAcrossInstances(t *testing.T) {
	dbA, _ := instance(t)
	_, brokerB := instance(t)
	coll := "10000000-0000-4000-8000-000000000001"
	sub, err := brokerB.Subscribe(context.Background(), coll, -1, 1000)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	const writers, each = 4, 25
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				if err := emit(dbA, coll, recordID(w*1000+i)); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	got := collect(t, sub, writers*each)
	seen := map[string]bool{}
	for i, ev := range got {
		if seen[ev.RecordID] {
			t.Fatalf("duplicate %s", ev.RecordID)
		}
		seen[ev.RecordID] = true
		if i > 0 && ev.Seq <= got[i-1].Seq {
			t.Fatalf("out of order: %d after %d", ev.Seq, got[i-1].Seq)
		}
	}
	select {
	case ev := <-sub.C:
		t.Fatalf("unexpected extra event %+v", ev)
	case <-time.After(200 * time.Millisecond):
	}
}

// A subscriber resuming after a seq gets what it missed, then live events,
// with no gap and no duplicate at the seam, while writes go on.
func TestResumeAfterSeq(t *testing.T) {
	db, b := instance(t)
	coll := "10000000-0000-4000-8000-000000000002"
	other := "10000000-0000-4000-8000-000000000003"
	write(t, db, coll, recordID(1), recordID(2))
	first, err := b.Subscribe(context.Background(), coll, -1, 100)
	if err != nil {
		t.Fatal(err)
	}
	write(t, db, coll, recordID(3))
	write(t, db, other, recordID(99))
	write(t, db, coll, recordID(4))
	seen := collect(t, first, 2)
	expectOrdered(t, seen, []string{recordID(3), recordID(4)})
	first.Close()

	// Disconnected: these happen while nobody listens.
	write(t, db, coll, recordID(5), recordID(6))
	resumed, err := b.Subscribe(context.Background(), coll, seen[0].Seq, 100)
	if err != nil {
		t.Fatal(err)
	}
	defer resumed.Close()
	go func() {
		if err := emit(db, coll, recordID(7), recordID(8)); err != nil {
			t.Error(err)
		}
	}()
	expectOrdered(t, collect(t, resumed, 5), []string{recordID(4), recordID(5), recordID(6), recordID(7), recordID(8)})
}

// A reader that stops reading is ended with ErrOverflow; the others carry on.
func TestSlowSubscriberIsEnded(t *testing.T) {
	db, b := instance(t)
	coll := "10000000-0000-4000-8000-000000000004"
	slow, err := b.Subscribe(context.Background(), coll, -1, 2)
	if err != nil {
		t.Fatal(err)
	}
	fast, err := b.Subscribe(context.Background(), coll, -1, 100)
	if err != nil {
		t.Fatal(err)
	}
	defer fast.Close()
	ids := []string{recordID(1), recordID(2), recordID(3), recordID(4), recordID(5), recordID(6)}
	write(t, db, coll, ids...)
	expectOrdered(t, collect(t, fast, len(ids)), ids)
	deadline := time.After(5 * time.Second)
	for {
		select {
		case _, ok := <-slow.C:
			if !ok {
				if !errors.Is(slow.Err(), ErrOverflow) {
					t.Fatalf("slow subscriber ended with %v", slow.Err())
				}
				return
			}
		case <-deadline:
			t.Fatal("slow subscriber was not ended")
		}
	}
}

func TestResumeBeforeTheLog(t *testing.T) {
	db, b := instance(t)
	coll := "10000000-0000-4000-8000-000000000005"
	write(t, db, coll, recordID(1), recordID(2))
	if _, err := db.Exec("DELETE FROM events WHERE seq = (SELECT min(seq) FROM events)"); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Subscribe(context.Background(), coll, 0, 10); !errors.Is(err, ErrTooOld) {
		t.Fatalf("got %v, want ErrTooOld", err)
	}
}

// Finding 13: a replay reads only its collection's events (through an
// index) and is refused when it would be longer than the broker's cap.
func TestSecurity13ReplayIsBounded(t *testing.T) {
	db, b := instance(t)
	var indexed bool
	if err := db.QueryRow(`SELECT EXISTS (SELECT 1 FROM pg_indexes WHERE tablename = 'events' AND indexdef LIKE '%(collection_id, seq)%')`).Scan(&indexed); err != nil {
		t.Fatal(err)
	}
	if !indexed {
		t.Fatal("events has no index on (collection_id, seq)")
	}
	coll := "10000000-0000-4000-8000-000000000006"
	other := "10000000-0000-4000-8000-000000000007"
	start, err := LogEnd(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	write(t, db, coll, recordID(1), recordID(2))
	for i := range 10 {
		write(t, db, other, recordID(100+i))
	}
	write(t, db, coll, recordID(3))
	b.maxReplay = 3
	s, err := b.Subscribe(context.Background(), coll, start, 10)
	if err != nil {
		t.Fatal(err)
	}
	first := collect(t, s, 3)
	expectOrdered(t, first, []string{recordID(1), recordID(2), recordID(3)})
	s.Close()

	write(t, db, coll, recordID(4))
	if _, err := LogEnd(context.Background(), db); err != nil { // recordID(4) has its seq
		t.Fatal(err)
	}
	if _, err := b.Subscribe(context.Background(), coll, start, 10); !errors.Is(err, ErrReplayTooLong) {
		t.Fatalf("a replay of 4 events with a cap of 3: got %v, want ErrReplayTooLong", err)
	}
	// The other collection's 10 events do not count against it.
	s, err = b.Subscribe(context.Background(), coll, first[0].Seq, 10)
	if err != nil {
		t.Fatal(err)
	}
	expectOrdered(t, collect(t, s, 3), []string{recordID(2), recordID(3), recordID(4)})
	s.Close()
}
