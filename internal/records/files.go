package records

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"sort"
	"strconv"

	"github.com/lib/pq"

	"fastcms/internal/apierr"
	"fastcms/internal/auth"
	"fastcms/internal/collections"
)

// checkFiles holds the ids written to lifecycle fields (file fields) to
// the rules of collections.Lifecycle: each file must exist and be one the
// writer may see (their own, or any for an admin) — a missing and a
// hidden file get the same answer, so writing an id never tells whether
// someone else's file exists — and must fit the field's options.
func checkFiles(ctx context.Context, q querier, sc *scope, changes []change) error {
	problems := map[string]string{}
	for _, ch := range changes {
		l := collections.LifecycleOf(ch.field)
		if l == nil || ch.value == nil {
			continue
		}
		_, why, err := admitFiles(ctx, q, sc.p, ch.field, l, l.Refs(ch.field, ch.value))
		if err != nil {
			return err
		}
		if why != "" {
			problems[ch.field.Name] = why
		}
	}
	if len(problems) > 0 {
		return apierr.Invalid(problems)
	}
	return nil
}

// admitFiles says what is wrong with field f referring to the files ids
// for the writer p, and which id is at fault; "" when nothing is.
func admitFiles(ctx context.Context, q querier, p *auth.Principal, f *collections.Field, l collections.Lifecycle, ids []string) (bad, why string, err error) {
	if len(ids) == 0 {
		return "", "", nil
	}
	var owner any
	if p != nil && !p.IsAdmin() {
		owner = p.UserID
	}
	rows, err := q.QueryContext(ctx, "SELECT id::text, mime_type, size FROM files WHERE id = ANY($1::uuid[]) AND ($2::boolean OR user_id = $3::uuid)",
		pq.Array(ids), p.IsAdmin(), owner)
	if err != nil {
		return "", "", err
	}
	defer rows.Close()
	found := make(map[string]collections.Object, len(ids))
	for rows.Next() {
		var o collections.Object
		if err := rows.Scan(&o.ID, &o.MimeType, &o.Size); err != nil {
			return "", "", err
		}
		found[o.ID] = o
	}
	if err := rows.Err(); err != nil {
		return "", "", err
	}
	for _, id := range ids {
		o, ok := found[id]
		if !ok {
			return id, "file " + id + " not found", nil
		}
		if why := l.Admit(f, o); why != "" {
			return id, why, nil
		}
	}
	return "", "", nil
}

// checkFiles holds the file ids of the imported rows (ids) to checkFiles'
// rules, with one query per file field for the ids and one for the files;
// the first file at fault fails the import, naming the rows holding it.
func (run *importRun) checkFiles(ctx context.Context, tx *sql.Tx, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	for _, ic := range run.cols {
		f := ic.field
		if f == nil {
			continue
		}
		l := collections.LifecycleOf(f)
		if l == nil {
			continue
		}
		held := "ARRAY[" + col(f.Name) + "]"
		if f.Multi() {
			held = col(f.Name)
		}
		var refs []string
		if err := tx.QueryRowContext(ctx, "SELECT COALESCE(array_agg(DISTINCT x), '{}') FROM "+run.sc.c.Table()+" "+alias+", unnest("+held+") x"+
			" WHERE "+col("id")+" = ANY($1::uuid[]) AND x IS NOT NULL", pq.Array(ids)).Scan(pq.Array(&refs)); err != nil {
			return err
		}
		bad, why, err := admitFiles(ctx, tx, run.sc.p, f, l, refs)
		if err != nil {
			return err
		}
		if why == "" {
			continue
		}
		var holders []string
		rows, err := tx.QueryContext(ctx, "SELECT "+col("id")+"::text FROM "+run.sc.c.Table()+" "+alias+" WHERE "+col("id")+" = ANY($1::uuid[]) AND $2 = ANY("+held+")"+
			" ORDER BY "+col("id")+" LIMIT "+strconv.Itoa(maxImportErrors), pq.Array(ids), bad)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				return err
			}
			holders = append(holders, id)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		for _, row := range importRowsOf(ids, holders) {
			run.errs = append(run.errs, RowError{Row: row, Error: f.Name + ": " + why})
		}
		sort.Slice(run.errs, func(i, j int) bool { return run.errs[i].Row < run.errs[j].Row })
		return run.errorOf(http.StatusUnprocessableEntity, "validation failed",
			fmt.Sprintf("row %d: %s: %s; nothing was imported", run.errs[0].Row, f.Name, why), map[string]string{f.Name: why})
	}
	return nil
}
