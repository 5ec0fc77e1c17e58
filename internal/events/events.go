// Package events is the durable log of record changes. A change writes its
// events in its own transaction (Emit), with no lock and no NOTIFY; the
// sequencer stamps committed events with seq after commit, in batches, and
// wakes every instance; each instance follows the log by seq (Broker), so
// subscribers on any instance see every committed change once, in order,
// and one that reconnects with the last seq it saw misses nothing.
package events

import (
	"context"
	"database/sql"
	"encoding/json"
	"time"
)

// Channel is the NOTIFY channel announcing newly sequenced events.
const Channel = "fastcms_events"

// Ops of an event.
const (
	Insert = "INSERT"
	Update = "UPDATE"
	Delete = "DELETE"
)

// Event is one committed change of one record. Data is the row after the
// change (nil for a delete), Old the row before it (nil for an insert),
// both with every field, hidden ones too: each subscriber's own rules decide
// what it may see.
type Event struct {
	Seq          int64
	CollectionID string
	Collection   string
	Op           string
	RecordID     string
	Data         json.RawMessage
	Old          json.RawMessage
	Created      time.Time
}

// Change is what a write reports for one record.
type Change struct {
	Op       string
	RecordID string
	Data     json.RawMessage
	Old      json.RawMessage
}

// Emit writes the events of changes to one collection inside tx; they
// get their seq once tx has committed (see Sequencer). Events of one
// transaction keep the order they were written in.
func Emit(ctx context.Context, tx *sql.Tx, collectionID, collection string, changes []Change) error {
	if len(changes) == 0 {
		return nil
	}
	stmt, err := tx.PrepareContext(ctx, `INSERT INTO events (collection_id, collection, op, record_id, data, old)
		VALUES ($1, $2, $3, $4, $5::jsonb, $6::jsonb)`)
	if err != nil {
		return err
	}
	defer stmt.Close()
	for _, ch := range changes {
		if _, err := stmt.ExecContext(ctx, collectionID, collection, ch.Op, ch.RecordID, nullJSON(ch.Data), nullJSON(ch.Old)); err != nil {
			return err
		}
	}
	return nil
}

// nullJSON binds raw JSON as text, or NULL when empty.
func nullJSON(b json.RawMessage) any {
	if len(b) == 0 {
		return nil
	}
	return string(b)
}

// EmitSelect is Emit for events computed by a query, so a change of many
// records (a bulk update, an import) logs them without a round trip per
// record. query must return record_id, data and old (json or NULL), in the
// order the events should take; its placeholders start at $4.
func EmitSelect(ctx context.Context, tx *sql.Tx, collectionID, collection, op, query string, args ...any) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO events (collection_id, collection, op, record_id, data, old)
		SELECT $1, $2, $3, e.record_id, e.data::jsonb, e.old::jsonb FROM (`+query+`) e`,
		append([]any{collectionID, collection, op}, args...)...)
	return err
}
