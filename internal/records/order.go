package records

import (
	"strconv"
	"strings"

	"fastcms/internal/collections"
)

// sortKey is one ORDER BY item.
type sortKey struct {
	expr       string
	desc       bool
	nullsFirst bool
	// notNull marks a column that is never NULL (the record's own id,
	// created, updated): its order names no NULLS placement, so one
	// (created, id) index serves both directions.
	notNull bool
	name    string
	sqlType string // for cursors
}

func (k sortKey) String() string {
	s := k.expr + " ASC"
	if k.desc {
		s = k.expr + " DESC"
	}
	if k.notNull || k.nullsFirst == k.desc {
		// Never NULL, or PostgreSQL's own placement (NULLs as the largest
		// value), which lets one plain index serve both directions.
		return s
	}
	if k.nullsFirst {
		return s + " NULLS FIRST"
	}
	return s + " NULLS LAST"
}

// totalOrder completes keys over the row aliased row: created when there
// is no key, then the id unless a top-level key is the id, so pages are
// stable. The id breaks ties in the direction of the last key, so an
// index ending in id (the default (created, id) one) serves both
// directions, newest-first too.
func totalOrder(keys []sortKey, row string) []sortKey {
	if len(keys) == 0 {
		keys = append(keys, sortKey{expr: qcol(row, "created"), name: "created", sqlType: "timestamptz", notNull: true})
	}
	for _, k := range keys {
		if k.name == "id" {
			return keys
		}
	}
	return append(keys, sortKey{expr: qcol(row, "id"), name: "id", sqlType: "uuid", notNull: true, desc: keys[len(keys)-1].desc})
}

// orderSQL is the ORDER BY list of keys.
func orderSQL(keys []sortKey) string {
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k.String()
	}
	return strings.Join(parts, ", ")
}

// sortKey resolves key over sc's row; path is what is left of key.Path
// and prefix what was walked ("" at the top, so only a top-level id makes
// the order total). A related value is read under the target's view rule
// and hidden fields, as a member is: NULL where the related record is not
// there for the caller, and a hidden field cannot be sorted by a non-admin.
func (b *renderer) sortKey(sc *scope, key SortKey, path []string, prefix string) (sortKey, error) {
	row := sc.opts.Alias
	k := sortKey{desc: key.Desc, nullsFirst: key.NullsFirst}
	if key.Rank {
		if b.rank == "" || b.rankRow != row {
			return k, partError(PartOrder, "{order}: _rank needs search")
		}
		k.expr, k.sqlType, k.name = b.rank, "real", "_rank" // ts_rank's type
		return k, nil
	}
	if len(path) == 0 {
		return k, partError(PartOrder, "{order}: an empty key")
	}
	name := path[0]
	k.expr, k.name = qcol(row, name), prefix+name
	if len(path) == 1 && key.Agg == "" {
		switch name {
		case "id":
			k.sqlType, k.notNull = "uuid", prefix == ""
		case "created", "updated":
			k.sqlType, k.notNull = "timestamptz", prefix == ""
		default:
			f := sc.visible(name)
			if f == nil || !collections.ShapeOf(f).Sortable {
				return k, partError(PartOrder, "{order}: field "+strconv.Quote(name)+" cannot be sorted")
			}
			k.sqlType = collections.TypeOf(f).Column(f)
		}
		return k, nil
	}
	if f := sc.visible(name); f != nil && f.Relation != nil && !f.Multi() {
		if len(path) == 2 && path[1] == "id" && key.Agg == "" {
			// The related id is the column itself (which a select of the
			// record shows): so distinct_on the relation can lead.
			k.sqlType = "uuid"
			return k, nil
		}
		target := b.snap.Get(f.Relation.CollectionID)
		if target == nil {
			return k, partError(PartOrder, "{order}: field "+strconv.Quote(name)+" cannot be sorted")
		}
		t := b.scope(target, b.newAlias())
		inner, err := b.sortKey(t, key, path[1:], prefix+name+".")
		if err != nil {
			return k, err
		}
		inner.expr = "(SELECT " + inner.expr + " FROM " + target.Table() + " " + collections.Quote(t.opts.Alias) +
			" WHERE " + b.link(t, f, row, false) + " AND " + t.relatedView(&b.a) + ")"
		return inner, nil
	}
	other, field := b.snap.BackRelation(sc.c, name)
	if other == nil || key.Agg == "" || (field.Hidden && !b.p.IsAdmin()) {
		return k, partError(PartOrder, "{order}: field "+strconv.Quote(name)+" cannot be sorted")
	}
	t := b.scope(other, b.newAlias())
	tr := t.opts.Alias
	from := " FROM " + other.Table() + " " + collections.Quote(tr) + " WHERE " + b.link(t, field, row, true) + " AND " + t.relatedView(&b.a) + ")"
	if key.Agg == "count" && len(path) == 1 {
		k.expr, k.name, k.sqlType = "(SELECT count(*)"+from, k.name+".count", "bigint"
		return k, nil
	}
	if len(path) != 2 {
		return k, partError(PartOrder, "{order}: field "+strconv.Quote(name)+" cannot be sorted")
	}
	fn, c := key.Agg, path[1]
	k.name += "." + fn + "." + c
	switch f := t.visible(c); {
	case (fn == "min" || fn == "max") && (c == "created" || c == "updated"):
		k.sqlType = "timestamptz"
	case f == nil:
		return k, partError(PartOrder, "{order}: field "+strconv.Quote(c)+" cannot be sorted")
	case (fn == "sum" || fn == "avg") && collections.ShapeOf(f).Numeric:
		k.sqlType = "double precision"
	case (fn == "min" || fn == "max") && minMaxField(f):
		k.sqlType = collections.TypeOf(f).Column(f)
	default:
		return k, partError(PartOrder, "{order}: field "+strconv.Quote(c)+" cannot be sorted")
	}
	k.expr = "(SELECT " + fn + "(" + qcol(tr, c) + ")" + from
	return k, nil
}

// minMaxField reports whether min and max apply to f: a scalar with an
// order, not a boolean (graph/dynschema.go lists the same fields).
func minMaxField(f *collections.Field) bool {
	sh := collections.ShapeOf(f)
	return sh.Sortable && sh.Target == "" && sh.Scalar != collections.ScalarBool
}

// distinctOn is the DISTINCT ON clause of args' distinct_on ("" without
// one) and the sort keys it needs: PostgreSQL keeps the first row of each
// group in the ORDER BY, whose leading keys must be the distinct
// columns (as in Hasura); with no order they lead in the given order.
func (b *renderer) distinctOn(sc *scope, args *Rows, keys []sortKey) (string, []sortKey, error) {
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
				return "", nil, partError(PartDistinct, "{distinct}: field "+strconv.Quote(name)+" cannot be used")
			}
		}
		exprs[i] = qcol(row, name)
		lead[i] = sortKey{expr: exprs[i], name: name}
	}
	if len(args.Order) == 0 {
		keys = append(lead, keys...)
	} else {
		want := map[string]bool{}
		for _, name := range args.DistinctOn {
			want[name] = true
		}
		for i := range args.DistinctOn {
			if i >= len(keys) || !want[keys[i].name] {
				return "", nil, partError(PartDistinct, "{distinct}: {order} must start with the {distinct} columns")
			}
			delete(want, keys[i].name)
		}
	}
	return "DISTINCT ON (" + strings.Join(exprs, ", ") + ") ", keys, nil
}

// sortKeys resolves a plan's order, completed by totalOrder: the default
// is created, then id, as over REST. The rank orders by the search rank,
// so only a root list given search (rootCond) has it.
func (b *renderer) sortKeys(sc *scope, order []SortKey) ([]sortKey, error) {
	if len(order) == 1 && order[0].Random {
		return []sortKey{{expr: "random()", notNull: true}}, nil
	}
	keys := make([]sortKey, 0, len(order)+1)
	for _, key := range order {
		k, err := b.sortKey(sc, key, key.Path, "")
		if err != nil {
			return nil, err
		}
		keys = append(keys, k)
	}
	return totalOrder(keys, sc.opts.Alias), nil
}
