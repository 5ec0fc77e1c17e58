package records

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"

	"github.com/lib/pq"

	"fastcms/internal/apierr"
	"fastcms/internal/collections"
)

// checkRelations verifies that every id a multi relation is given exists:
// a uuid[] column cannot carry a foreign key. (Single relations have one.)
func checkRelations(ctx context.Context, q querier, sc *scope, changes []change) error {
	for _, ch := range changes {
		f := ch.field
		if f.Relation == nil || !f.Multi() || ch.value == nil {
			continue
		}
		ids, _ := ch.value.([]string)
		if len(ids) == 0 {
			continue
		}
		target := sc.snap.Get(f.Relation.CollectionID)
		var found int
		if err := q.QueryRowContext(ctx, "SELECT count(*) FROM "+target.Table()+" WHERE id = ANY($1::uuid[])", pq.Array(ids)).Scan(&found); err != nil {
			return err
		}
		if found != len(ids) {
			return apierr.InvalidField(f.Name, "related record not found")
		}
	}
	return nil
}

// checkIncrements holds numbers changed by "field+"/"field-" to their
// min and max after the fact: the increment ran in SQL, so the bound is
// checked on the result, and a violation undoes the whole update.
func checkIncrements(ctx context.Context, tx *sql.Tx, c *collections.Collection, id string, changes []change) error {
	var fields []*collections.Field
	var cols []string
	for _, ch := range changes {
		v := ch.field.Validation
		if ch.delta != "" && (v.Min != nil || v.Max != nil) {
			fields = append(fields, ch.field)
			cols = append(cols, collections.Quote(ch.field.Name))
		}
	}
	if len(fields) == 0 {
		return nil
	}
	values := make([]sql.NullFloat64, len(fields))
	dest := make([]any, len(fields))
	for i := range values {
		dest[i] = &values[i]
	}
	if err := tx.QueryRowContext(ctx, "SELECT "+strings.Join(cols, ", ")+" FROM "+c.Table()+" WHERE id = $1", id).Scan(dest...); err != nil {
		return err
	}
	for i, f := range fields {
		if !values[i].Valid {
			continue
		}
		if _, why := collections.ParseValue(f, values[i].Float64); why != "" {
			return apierr.InvalidField(f.Name, fmt.Sprintf("would become %s, which %s", strconv.FormatFloat(values[i].Float64, 'g', -1, 64), why))
		}
	}
	return nil
}
