package records

import (
	"context"

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
		why, err := admitFiles(ctx, q, sc.p, ch.field, l, l.Refs(ch.field, ch.value))
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
// for the writer p, or "" when nothing is.
func admitFiles(ctx context.Context, q querier, p *auth.Principal, f *collections.Field, l collections.Lifecycle, ids []string) (string, error) {
	if len(ids) == 0 {
		return "", nil
	}
	var owner any
	if !p.IsAdmin() && p != nil {
		owner = p.UserID
	}
	rows, err := q.QueryContext(ctx, "SELECT id::text, mime_type, size FROM files WHERE id = ANY($1::uuid[]) AND ($2::boolean OR user_id = $3::uuid)",
		pq.Array(ids), p.IsAdmin(), owner)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	found := make(map[string]collections.Object, len(ids))
	for rows.Next() {
		var o collections.Object
		if err := rows.Scan(&o.ID, &o.MimeType, &o.Size); err != nil {
			return "", err
		}
		found[o.ID] = o
	}
	if err := rows.Err(); err != nil {
		return "", err
	}
	for _, id := range ids {
		o, ok := found[id]
		if !ok {
			return "file " + id + " not found", nil
		}
		if why := l.Admit(f, o); why != "" {
			return why, nil
		}
	}
	return "", nil
}
