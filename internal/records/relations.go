package records

import (
	"context"

	"github.com/lib/pq"

	"fastcms/internal/apierr"
)

// checkRelations verifies that every id a multi relation is given exists:
// a uuid[] column cannot carry a foreign key. (Single relations have one.)
// The ids of file fields are checked too (checkFiles), so every write path
// that checks its relations checks its files.
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
	return checkFiles(ctx, q, sc, changes)
}
