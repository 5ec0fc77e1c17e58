package records

import (
	"context"
	"database/sql"
	"strings"

	"github.com/lib/pq"

	"fastcms/internal/collections"
	"fastcms/internal/events"
)

// Every write logs one event per changed record, in its own transaction
// (internal/events). An event carries the whole record as an admin sees it,
// hidden fields too: each subscriber's rules decide what it may see.

// fullJSON renders the row aliased row with every field.
func fullJSON(c *collections.Collection, row string) string {
	return recordJSONOf(row, c.Fields, "NULL")
}

// lockOld reads, and locks until commit, the records about to change, so
// their update or delete events can carry the state before the change.
func lockOld(ctx context.Context, tx *sql.Tx, c *collections.Collection, ids []string) (map[string]string, error) {
	rows, err := tx.QueryContext(ctx, "SELECT o.id, "+fullJSON(c, "o")+" FROM "+c.Table()+" o WHERE o.id = ANY($1::uuid[]) FOR UPDATE", pq.Array(ids))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	old := map[string]string{}
	for rows.Next() {
		var id, rec string
		if err := rows.Scan(&id, &rec); err != nil {
			return nil, err
		}
		old[id] = rec
	}
	return old, rows.Err()
}

// emitChanged logs op for ids: data is read from the table (none for a
// delete), old comes from lockOld (none for an insert). ids keep their order.
func emitChanged(ctx context.Context, tx *sql.Tx, c *collections.Collection, op string, ids []string, old map[string]string) error {
	if len(ids) == 0 {
		return nil
	}
	olds := make([]string, len(ids))
	for i, id := range ids {
		olds[i] = "null"
		if rec, ok := old[id]; ok {
			olds[i] = rec
		}
	}
	data := "NULL::json"
	from := "unnest($4::uuid[]) WITH ORDINALITY AS x(id, n) JOIN jsonb_array_elements($5::jsonb) WITH ORDINALITY AS o(old, n) USING (n)"
	if op != events.Delete {
		data = fullJSON(c, alias)
		from += " JOIN " + c.Table() + " " + alias + " ON " + col("id") + " = x.id"
	}
	q := "SELECT x.id AS record_id, " + data + " AS data, NULLIF(o.old, 'null'::jsonb) AS old FROM " + from + " ORDER BY x.n"
	return events.EmitSelect(ctx, tx, c.ID, c.Name, op, q, pq.Array(ids), "["+strings.Join(olds, ",")+"]")
}
