package collections

import (
	"strings"

	"fastcms/internal/query"
)

// RuleFields exposes collection c to internal/query as rules see it: every
// field, hidden ones included, and relations into their targets with no
// restriction, since rules are written by admins. Admins' own filters use
// it too. Targets resolve lazily, so self-relations work.
func (s *Snapshot) RuleFields(c *Collection) query.Fields {
	return queryFields{snap: s, c: c}
}

// ClientFields is what a caller's filter (REST filter=, GraphQL where:) may
// read: for admins RuleFields; for everyone else no hidden field, and a
// path through a relation reaches only the related records the target's
// view rule shows the caller, as expand and nested selections do. So a
// filter can never test what the caller could not read.
func (s *Snapshot) ClientFields(c *Collection, admin bool) query.Fields {
	return queryFields{snap: s, c: c, client: !admin}
}

type queryFields struct {
	snap   *Snapshot
	c      *Collection
	client bool
}

func (q queryFields) Field(name string) (query.Field, bool) {
	switch name {
	case "id":
		return query.Field{Name: name, Column: "id", Kind: query.KindUUID}, true
	case "created", "updated":
		return query.Field{Name: name, Column: name, Kind: query.KindDateTime}, true
	}
	f := q.c.Field(name)
	if f == nil {
		return q.back(name)
	}
	if f.Hidden && q.client {
		return query.Field{}, false
	}
	qf := query.Field{Name: f.Name, Column: f.Name, Kind: TypeOf(f).Kind(f)}
	if f.Relation != nil {
		if t := q.snap.byID[f.Relation.CollectionID]; t != nil {
			qf.Target = queryFields{q.snap, t, q.client}
			qf.TargetTable = t.Table()
			if q.client {
				qf.View = q.snap.views[t.ID]
			}
		}
	}
	return qf, true
}

// back resolves a back-relation, <collection>_via_<field>: the records
// of the other collection whose relation field points at this record.
func (q queryFields) back(name string) (query.Field, bool) {
	other, f := q.snap.BackRelation(q.c, name)
	if other == nil || (f.Hidden && q.client) {
		return query.Field{}, false
	}
	qf := query.Field{Name: name, Column: f.Name, Kind: TypeOf(f).Kind(f), Back: true,
		Target: queryFields{q.snap, other, q.client}, TargetTable: other.Table()}
	if q.client {
		qf.View = q.snap.views[other.ID]
	}
	return qf, true
}

// viewOf is c's view rule as a query.View: nil when everyone may view,
// Deny for a null rule or one that no longer parses (fail closed).
func (s *Snapshot) viewOf(c *Collection) *query.View {
	if c.ViewRule == nil {
		return &query.View{Deny: true}
	}
	if strings.TrimSpace(*c.ViewRule) == "" {
		return nil
	}
	e, err := query.Parse(*c.ViewRule)
	if err != nil {
		return &query.View{Deny: true}
	}
	return &query.View{Rule: e, Fields: s.RuleFields(c)}
}
