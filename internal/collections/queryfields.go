package collections

import "fastcms/internal/query"

// QueryFields exposes collection c to internal/query: its system fields,
// its fields (hidden ones only when withHidden, i.e. for admins), and
// relations into their targets, resolved lazily so self-relations work.
func (s *Snapshot) QueryFields(c *Collection, withHidden bool) query.Fields {
	return queryFields{s, c, withHidden}
}

type queryFields struct {
	snap       *Snapshot
	c          *Collection
	withHidden bool
}

func (q queryFields) Field(name string) (query.Field, bool) {
	switch name {
	case "id":
		return query.Field{Name: name, Column: "id", Kind: query.KindUUID}, true
	case "created", "updated":
		return query.Field{Name: name, Column: name, Kind: query.KindDateTime}, true
	}
	f := q.c.Field(name)
	if f == nil || (f.Hidden && !q.withHidden) {
		return query.Field{}, false
	}
	qf := query.Field{Name: f.Name, Column: f.Name, Kind: TypeOf(f).Kind(f)}
	if f.Relation != nil {
		if t := q.snap.byID[f.Relation.CollectionID]; t != nil {
			qf.Target = queryFields{q.snap, t, q.withHidden}
			qf.TargetTable = t.Table()
		}
	}
	return qf, true
}
