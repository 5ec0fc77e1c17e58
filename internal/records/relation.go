package records

import "fastcms/internal/collections"

// relationLink is the one condition that ties a related row (aliased
// target) to the row it is related to (aliased parent), for every reader:
// REST expand, members, order keys. f is the relation field: the parent's
// for a forward relation, the target's for a back-relation (back).
//
// A back-relation through a multi relation is always `f @> ARRAY[id]`,
// which the field's GIN index answers (`id = ANY(f)` cannot use it); the
// other forms use the primary key or the single relation's btree index.
// Callers AND the target's view rule to it.
func relationLink(f *collections.Field, back bool, target, parent string) string {
	switch {
	case back && f.Multi():
		return qcol(target, f.Name) + " @> ARRAY[" + qcol(parent, "id") + "]"
	case back:
		return qcol(target, f.Name) + " = " + qcol(parent, "id")
	case f.Multi():
		return qcol(target, "id") + " = ANY(" + qcol(parent, f.Name) + ")"
	}
	return qcol(target, "id") + " = " + qcol(parent, f.Name)
}

// link is relationLink from t's row to the row aliased parent.
func (b *renderer) link(t *scope, f *collections.Field, parent string, back bool) string {
	return relationLink(f, back, t.opts.Alias, parent)
}

// relatedView is the view rule of sc's collection for the caller, as a
// condition on sc's row, for records reached through a relation: where
// the rule refuses the caller outright (a null rule for a non-admin, or a
// rule their request cannot satisfy) the related records are absent, not
// the request failed, so the condition is FALSE.
func (sc *scope) relatedView(a *args) string {
	rule, err := sc.rule(a, actView, sc.c.ViewRule)
	if err != nil {
		return "FALSE"
	}
	return rule
}

// idOnly reports whether a record's selection sel names nothing but its id
// (and __typename).
func idOnly(sel []Member) bool {
	for _, n := range sel {
		if n.Kind != Typename && (n.Kind != Column || n.Name != "id") {
			return false
		}
	}
	return true
}

// linkedID renders the selection sel (idOnly) of the record a single
// relation's column id names, whose view rule admits the caller, without
// reading it: the column's foreign key makes any id it holds a record's.
func linkedID(id string, sel []Member) (string, error) {
	obj, err := objectOf(sel, func(Member) (string, error) { return id, nil })
	if err != nil {
		return "", err
	}
	return "CASE WHEN " + id + " IS NOT NULL THEN " + obj + " END", nil
}
