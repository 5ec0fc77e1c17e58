package records

import (
	"sort"
	"strings"

	"fastcms/internal/apierr"
	"fastcms/internal/collections"
)

// orderKeys reads one order_by object over sc's row; path names the
// relation it is nested in ("" at the top), so only a top-level id makes
// the order total. Hasura's shapes:
//
//	{title: asc}                             a sortable field
//	{author: {name: asc}}                    a forward relation's target fields
//	{posts_via_author_aggregate: {count: desc, max: {views: asc}}}
//
// A related value is read under the target's view rule and hidden fields,
// as a selection is: NULL where the related record is not there for the
// caller, and a hidden field cannot be sorted by a non-admin.
func (b *gqlBuilder) orderKeys(sc *scope, m map[string]any, path string) ([]sortKey, error) {
	row := sc.opts.Alias
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	sort.Strings(names)
	var keys []sortKey
	for _, name := range names {
		switch v := m[name].(type) {
		case string:
			k := sortKey{expr: qcol(row, name), name: path + name}
			switch name {
			case "_rank":
				if path != "" || b.rank == "" || b.rankRow != row {
					return nil, apierr.BadRequest("order_by: _rank needs search")
				}
				k.expr, k.sqlType = b.rank, "real" // ts_rank's type
			case "id":
				k.sqlType, k.notNull = "uuid", path == ""
			case "created", "updated":
				k.sqlType, k.notNull = "timestamptz", path == ""
			default:
				f := sc.visible(name)
				if f == nil || !collections.ShapeOf(f).Sortable {
					return nil, apierr.BadRequest("order_by: field %q cannot be sorted", name)
				}
				k.sqlType = collections.TypeOf(f).Column(f)
			}
			if err := k.direction(v); err != nil {
				return nil, err
			}
			keys = append(keys, k)
		case map[string]any:
			more, err := b.relationKeys(sc, name, v, path)
			if err != nil {
				return nil, err
			}
			keys = append(keys, more...)
		}
	}
	return keys, nil
}

// direction sets k's direction from an order_by value.
func (k *sortKey) direction(dir string) error {
	switch dir {
	case "asc", "asc_nulls_last":
	case "asc_nulls_first":
		k.nullsFirst = true
	case "desc", "desc_nulls_first":
		k.desc, k.nullsFirst = true, true
	case "desc_nulls_last":
		k.desc = true
	default:
		return apierr.BadRequest("order_by: unknown direction %q", dir)
	}
	return nil
}

// relationKeys are the keys of {relation: {...}}: a forward relation's
// target fields, or a back-relation's aggregates.
func (b *gqlBuilder) relationKeys(sc *scope, name string, m map[string]any, path string) ([]sortKey, error) {
	row := sc.opts.Alias
	if f := sc.visible(name); f != nil && f.Relation != nil && !f.Multi() {
		target := b.snap.Get(f.Relation.CollectionID)
		if target == nil {
			return nil, apierr.BadRequest("order_by: field %q cannot be sorted", name)
		}
		if dir, ok := m["id"].(string); ok && len(m) == 1 {
			// The related id is the column itself (which a select of
			// the record shows): so distinct_on the relation can lead.
			k := sortKey{expr: qcol(row, name), name: path + name, sqlType: "uuid"}
			return []sortKey{k}, k.direction(dir)
		}
		t := b.scope(target, b.newAlias())
		inner, err := b.orderKeys(t, m, path+name+".")
		if err != nil {
			return nil, err
		}
		from := " FROM " + target.Table() + " " + collections.Quote(t.opts.Alias) + " WHERE " + qcol(t.opts.Alias, "id") + " = " + qcol(row, name) + " AND " + b.viewCond(t)
		for i := range inner {
			inner[i].expr = "(SELECT " + inner[i].expr + from + ")"
		}
		return inner, nil
	}
	other, field := b.backRelation(sc.c, strings.TrimSuffix(name, "_aggregate"))
	if other == nil || !strings.HasSuffix(name, "_aggregate") || (field.Hidden && !b.p.IsAdmin()) {
		return nil, apierr.BadRequest("order_by: field %q cannot be sorted", name)
	}
	t := b.scope(other, b.newAlias())
	tr := t.opts.Alias
	link := qcol(tr, field.Name) + " = " + qcol(row, "id")
	if field.Multi() {
		link = qcol(tr, field.Name) + " @> ARRAY[" + qcol(row, "id") + "]"
	}
	from := " FROM " + other.Table() + " " + collections.Quote(tr) + " WHERE " + link + " AND " + b.viewCond(t) + ")"
	fns := make([]string, 0, len(m))
	for fn := range m {
		fns = append(fns, fn)
	}
	sort.Strings(fns)
	var keys []sortKey
	for _, fn := range fns {
		if dir, ok := m[fn].(string); ok && fn == "count" {
			k := sortKey{expr: "(SELECT count(*)" + from, name: path + name + ".count", sqlType: "bigint"}
			if err := k.direction(dir); err != nil {
				return nil, err
			}
			keys = append(keys, k)
			continue
		}
		cols, _ := m[fn].(map[string]any)
		colNames := make([]string, 0, len(cols))
		for c := range cols {
			colNames = append(colNames, c)
		}
		sort.Strings(colNames)
		for _, c := range colNames {
			dir, _ := cols[c].(string)
			k := sortKey{name: path + name + "." + fn + "." + c}
			switch f := t.visible(c); {
			case (fn == "min" || fn == "max") && (c == "created" || c == "updated"):
				k.sqlType = "timestamptz"
			case f == nil:
				return nil, apierr.BadRequest("order_by: field %q cannot be sorted", c)
			case (fn == "sum" || fn == "avg") && collections.ShapeOf(f).Numeric:
				k.sqlType = "double precision"
			case (fn == "min" || fn == "max") && minMaxField(f):
				k.sqlType = collections.TypeOf(f).Column(f)
			default:
				return nil, apierr.BadRequest("order_by: field %q cannot be sorted", c)
			}
			k.expr = "(SELECT " + fn + "(" + qcol(tr, c) + ")" + from
			if err := k.direction(dir); err != nil {
				return nil, err
			}
			keys = append(keys, k)
		}
	}
	return keys, nil
}

// backRelation finds the relation field of another collection that points
// at c and is named <other>_via_<field>.
func (b *gqlBuilder) backRelation(c *collections.Collection, name string) (*collections.Collection, *collections.Field) {
	for _, other := range b.snap.All() {
		for _, f := range other.Fields {
			if f.Relation != nil && f.Relation.CollectionID == c.ID && other.Name+"_via_"+f.Name == name {
				return other, f
			}
		}
	}
	return nil, nil
}

// minMaxField reports whether min and max apply to f: a scalar with an
// order, not a boolean (graph/dynschema.go lists the same fields).
func minMaxField(f *collections.Field) bool {
	sh := collections.ShapeOf(f)
	return sh.Sortable && sh.Target == "" && sh.Scalar != collections.ScalarBool
}

// distinctOn is the DISTINCT ON clause of args' distinct_on ("" without
// one) and the sort keys it needs: PostgreSQL keeps the first row of each
// group in the ORDER BY, whose leading keys must be the distinct_on
// columns (as in Hasura); with no order_by they lead in the given order.
func (b *gqlBuilder) distinctOn(sc *scope, args *GQLListArgs, keys []sortKey) (string, []sortKey, error) {
	if len(args.DistinctOn) == 0 {
		return "", keys, nil
	}
	row := sc.opts.Alias
	exprs := make([]string, len(args.DistinctOn))
	lead := make([]sortKey, len(args.DistinctOn))
	for i, name := range args.DistinctOn {
		switch name {
		case "id", "created", "updated":
		default:
			if sc.visible(name) == nil {
				return "", nil, apierr.BadRequest("distinct_on: field %q cannot be used", name)
			}
		}
		exprs[i] = qcol(row, name)
		lead[i] = sortKey{expr: exprs[i], name: name}
	}
	if len(args.OrderBy) == 0 {
		keys = append(lead, keys...)
	} else {
		want := map[string]bool{}
		for _, name := range args.DistinctOn {
			want[name] = true
		}
		for i := range args.DistinctOn {
			if i >= len(keys) || !want[keys[i].name] {
				return "", nil, apierr.BadRequest("distinct_on: order_by must start with the distinct_on columns")
			}
			delete(want, keys[i].name)
		}
	}
	return "DISTINCT ON (" + strings.Join(exprs, ", ") + ") ", keys, nil
}
