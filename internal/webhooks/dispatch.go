package webhooks

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/lib/pq"

	"fastcms/internal/events"
	"fastcms/internal/query"
	"fastcms/internal/records"
	"fastcms/internal/timefmt"
)

// Dispatching. Deliveries are derived from the event log, not written by
// the record writes: a write costs the same with 0 or 10 webhooks, and an
// event that committed is delivered however the server died, because the
// dispatcher reads the log from the last seq it finished (webhook_cursor,
// advanced in the same transaction that inserts the deliveries). Every
// instance runs a dispatcher; the one that locks the cursor row works and
// the others skip (SKIP LOCKED), and (webhook_id, event_seq) is unique, so
// no event is delivered twice to one webhook. A webhook receives the
// events the dispatcher reads while it exists and is enabled.

const (
	dispatchBatch = 500
	// dispatchPoll is the fallback when no NOTIFY arrives (another
	// instance held the cursor, or a notification was lost).
	dispatchPoll = time.Second
)

var eventNames = map[string]string{events.Insert: "record.created", events.Update: "record.updated", events.Delete: "record.deleted"}
var eventOps = map[string]string{events.Insert: "create", events.Update: "update", events.Delete: "delete"}

func (s *Service) dispatchLoop(ctx context.Context) {
	defer s.wg.Done()
	filters := map[string]query.Expr{}
	for {
		full, err := s.dispatch(ctx, filters)
		if err != nil && ctx.Err() == nil {
			s.log.Error("webhooks: dispatching events", "err", err)
		}
		if full && err == nil {
			continue
		}
		if !sleep(ctx, s.dispatchWake, dispatchPoll) {
			return
		}
	}
}

// hook is what the dispatcher needs of a webhook.
type hook struct {
	id, collectionID string
	ops              []string
	filter           string
}

// dispatch turns one batch of events into deliveries; full reports that
// the batch was full, so more may be waiting.
func (s *Service) dispatch(ctx context.Context, filters map[string]query.Expr) (full bool, err error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return false, err
	}
	defer tx.Rollback()
	var cursor int64
	err = tx.QueryRowContext(ctx, `SELECT seq FROM webhook_cursor WHERE id = 1 FOR UPDATE SKIP LOCKED`).Scan(&cursor)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil // another instance is dispatching
	}
	if err != nil {
		return false, err
	}
	hooks, err := enabledHooks(ctx, tx)
	if err != nil {
		return false, err
	}
	// Only the events of collections a webhook watches are read; the
	// cursor moves to the log's end all the same.
	end, err := events.End(ctx, tx)
	if err != nil || end <= cursor {
		return false, err
	}
	var watched []string
	for _, h := range hooks {
		if !slices.Contains(watched, h.collectionID) {
			watched = append(watched, h.collectionID)
		}
	}
	var evs []events.Event
	if len(watched) > 0 {
		if evs, err = events.Read(ctx, tx, cursor, end, dispatchBatch, watched); err != nil {
			return false, err
		}
	}
	full = len(evs) == dispatchBatch
	if full {
		end = evs[len(evs)-1].Seq
	}
	var rows deliveryRows
	for _, ev := range evs {
		if err := s.match(ev, hooks, filters, &rows); err != nil {
			return false, err
		}
	}
	if len(rows.ids) > 0 {
		if _, err := tx.ExecContext(ctx, `INSERT INTO webhook_deliveries (id, webhook_id, event_seq, event, record_id, body)
			SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::bigint[], $4::text[], $5::uuid[], $6::text[])
			ON CONFLICT (webhook_id, event_seq) DO NOTHING`,
			pq.Array(rows.ids), pq.Array(rows.hooks), pq.Array(rows.seqs), pq.Array(rows.events), pq.Array(rows.records), pq.Array(rows.bodies)); err != nil {
			return false, err
		}
		if _, err := tx.ExecContext(ctx, `SELECT pg_notify($1, '')`, workChannel); err != nil {
			return false, err
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE webhook_cursor SET seq = $1 WHERE id = 1`, end); err != nil {
		return false, err
	}
	return full, tx.Commit()
}

func enabledHooks(ctx context.Context, tx *sql.Tx) ([]hook, error) {
	rows, err := tx.QueryContext(ctx, `SELECT id, collection_id, events, filter FROM webhooks WHERE enabled ORDER BY id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var hooks []hook
	for rows.Next() {
		var h hook
		if err := rows.Scan(&h.id, &h.collectionID, pq.Array(&h.ops), &h.filter); err != nil {
			return nil, err
		}
		hooks = append(hooks, h)
	}
	return hooks, rows.Err()
}

// deliveryRows are the columns of the deliveries to insert.
type deliveryRows struct {
	ids, hooks, events, records, bodies []string
	seqs                                []int64
}

// match adds a delivery of ev for every hook that wants it. A filter is
// evaluated in memory on the record, with the evaluator and record values
// that subscriptions use; an update matches when the record passes the
// filter before or after the change, so a receiver learns that a record
// left its filter.
func (s *Service) match(ev events.Event, hooks []hook, filters map[string]query.Expr, rows *deliveryRows) error {
	snap := s.registry.Current()
	c := snap.Get(ev.CollectionID)
	for _, h := range hooks {
		if h.collectionID != ev.CollectionID || !slices.Contains(h.ops, eventOps[ev.Op]) || c == nil {
			continue
		}
		if h.filter != "" {
			expr, ok := filters[h.filter]
			if !ok {
				var err error
				if expr, err = query.Parse(h.filter); err != nil {
					continue
				}
				filters[h.filter] = expr
			}
			data, old, err := records.EventValues(ev, c)
			if err != nil {
				return err
			}
			if !passes(expr, snap.RuleFields(c), data) && !passes(expr, snap.RuleFields(c), old) {
				continue
			}
		}
		// Drawn here: the delivery's id is in its body, written with the row.
		id := uuid.NewString()
		msg, err := payload(id, ev)
		if err != nil {
			return err
		}
		rows.ids = append(rows.ids, id)
		rows.hooks = append(rows.hooks, h.id)
		rows.seqs = append(rows.seqs, ev.Seq)
		rows.events = append(rows.events, eventNames[ev.Op])
		rows.records = append(rows.records, ev.RecordID)
		rows.bodies = append(rows.bodies, string(msg))
	}
	return nil
}

// passes evaluates a filter on one state; a missing state, or a filter the
// collection no longer supports (a field was removed), does not pass.
func passes(expr query.Expr, fields query.Fields, rec map[string]any) bool {
	if rec == nil {
		return false
	}
	ok, err := query.Eval(expr, fields, rec, query.Options{})
	return err == nil && ok
}

// record is a record as the REST API shows it.
type record struct {
	ID      string          `json:"id"`
	Data    json.RawMessage `json:"data"`
	Created json.RawMessage `json:"created"`
	Updated json.RawMessage `json:"updated"`
}

// body is what a webhook receives. Data is the record after the change
// (before it, for a delete); Old, for an update, the record before it.
type body struct {
	ID         string  `json:"id"`
	Event      string  `json:"event"`
	Collection string  `json:"collection"`
	RecordID   string  `json:"record_id"`
	Data       *record `json:"data"`
	Old        *record `json:"old,omitempty"`
	Timestamp  string  `json:"timestamp"`
}

func payload(id string, ev events.Event) ([]byte, error) {
	b := body{ID: id, Event: eventNames[ev.Op], Collection: ev.Collection, RecordID: ev.RecordID, Timestamp: timefmt.Format(ev.Created)}
	var err error
	switch ev.Op {
	case events.Delete:
		b.Data, err = readRecord(ev.Old)
	case events.Update:
		if b.Data, err = readRecord(ev.Data); err == nil {
			b.Old, err = readRecord(ev.Old)
		}
	default:
		b.Data, err = readRecord(ev.Data)
	}
	if err != nil {
		return nil, fmt.Errorf("webhooks: reading event %d: %w", ev.Seq, err)
	}
	return json.Marshal(b)
}

func readRecord(raw json.RawMessage) (*record, error) {
	if len(raw) == 0 {
		return nil, nil
	}
	var r record
	return &r, json.Unmarshal(raw, &r)
}
