package records

import "fastcms/internal/collections"

// fileMember is a Files member of the row of sc: the metadata of the
// files that file field n.Field holds, with the members of GraphQL's file
// type selected in n.Sub, under the visibility of expand (expand_files.go):
// a file the caller may not see is left out. A single file field gives an
// object or null, a multi one an array (empty when nothing shows).
func (b *renderer) fileMember(sc *scope, n Member) string {
	f := sc.visible(n.Field)
	if f == nil || collections.LifecycleOf(f) == nil {
		if d := sc.c.Field(n.Field); d != nil && d.Multi() {
			return "'[]'::json"
		}
		return "NULL::json"
	}
	e := b.newAlias()
	pairs := make([]string, 0, len(n.Sub))
	for _, s := range n.Sub {
		v := "NULL::json"
		if s.Kind == Typename {
			v = quoteLiteral(s.Name) + "::text"
		}
		for _, c := range fileColumns {
			if s.Kind == Column && c.name == s.Name {
				v = c.sql(e)
			}
		}
		pairs = append(pairs, quoteLiteral(s.Key)+", "+v)
	}
	q := filesOf(f, qcol(sc.opts.Alias, f.Name), e, buildObject(pairs), fileSeen(&b.a, b.p, e))
	if f.Multi() {
		return "COALESCE(" + q + ", '[]'::json)"
	}
	return q
}
