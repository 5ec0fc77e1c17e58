package records

import (
	"encoding/base64"
	"encoding/json"
	"strconv"
	"strings"

	"fastcms/internal/collections"
)

// aggregate is the statement of ReadAggregate.
func (b *renderer) aggregate(sc *scope, op Op) (string, error) {
	cond, err := b.rootCond(sc, &op.Rows)
	if err != nil {
		return "", err
	}
	obj, err := b.aggregateObject(sc, &op.Rows, cond, op.Members)
	if err != nil {
		return "", err
	}
	return "SELECT " + obj, nil
}

// aggregateObject is the JSON of the aggregates of the rows of sc's table
// (aliased sc.opts.Alias) meeting cond: the aggregates and the nodes are
// subqueries, each built only when selected; args' order, limit and
// offset apply to the nodes.
func (b *renderer) aggregateObject(sc *scope, args *Rows, cond string, sel []Member) (string, error) {
	return objectOf(sel, func(n Member) (string, error) {
		switch n.Kind {
		case Aggregate:
			obj, err := b.aggregateFields(sc, n.Sub)
			if err != nil {
				return "", err
			}
			// GROUP BY () makes this one row even when no aggregate
			// function is selected (only hidden fields, or __typename).
			return "(SELECT " + obj + " FROM " + sc.c.Table() + " " + collections.Quote(sc.opts.Alias) + " WHERE " + cond + " GROUP BY ())", nil
		case Nodes:
			return b.list(sc, &Rows{Order: args.Order, Limit: args.Limit, Offset: args.Offset}, cond, n.Sub)
		}
		return "", nil
	})
}

func (b *renderer) aggregateFields(sc *scope, sel []Member) (string, error) {
	return objectOf(sel, func(n Member) (string, error) {
		switch n.Kind {
		case Count:
			return "count(*)", nil
		case AggFunc:
			return objectOf(n.Sub, func(m Member) (string, error) {
				if m.Kind != Column {
					return "", nil
				}
				return b.aggregateColumn(sc, n.Name, m.Name), nil
			})
		}
		return "", nil
	})
}

// aggregateColumn is fn (sum, avg, min or max) over the column name, as
// JSON: sum and avg take numbers, min and max any field with an order
// (not a boolean) and the timestamps; a hidden field is null for a
// non-admin.
func (b *renderer) aggregateColumn(sc *scope, fn, name string) string {
	c := qcol(sc.opts.Alias, name)
	if name == "created" || name == "updated" {
		return collections.TimestampJSON(fn + "(" + c + ")")
	}
	f := sc.visible(name)
	if f == nil {
		return "NULL::json"
	}
	sh := collections.ShapeOf(f)
	switch {
	case (fn == "sum" || fn == "avg") && sh.Numeric:
	case (fn == "min" || fn == "max") && sh.Sortable && sh.Target == "" && sh.Scalar != collections.ScalarBool:
	default:
		return "NULL::json"
	}
	return collections.TypeOf(f).JSON(f, fn+"("+c+")")
}

// connection is the statement of ReadConnection: keyset paging over the
// order keys plus the id. A cursor is the base64 of the JSON array of
// a row's sort key values, built by PostgreSQL and bound back typed, so
// deep pages cost what the first does. total_count is counted only when
// selected.
func (b *renderer) connection(sc *scope, op Op) (string, error) {
	cond, err := b.rootCond(sc, &op.Rows)
	if err != nil {
		return "", err
	}
	keys, err := b.sortKeys(sc, op.Rows.Order)
	if err != nil {
		return "", err
	}
	args := op.Rows
	if args.First != nil && args.Last != nil {
		return "", partError(PartFirst, "give {first} or {last}, not both")
	}
	backward := args.Last != nil
	size := MaxLimit
	for _, n := range []*int{args.First, args.Last} {
		if n != nil {
			if *n < 0 || *n > MaxLimit {
				return "", partError(PartFirst, "{first} and {last} must be between 0 and "+strconv.Itoa(MaxLimit))
			}
			size = *n
		}
	}
	keyset := "TRUE"
	if args.After != nil {
		if keyset, err = b.keyset(keys, *args.After, true); err != nil {
			return "", err
		}
	}
	if args.Before != nil {
		before, err := b.keyset(keys, *args.Before, false)
		if err != nil {
			return "", err
		}
		keyset += " AND " + before
	}
	fetch := make([]string, len(keys))
	cursorVals := make([]string, len(keys))
	for i, k := range keys {
		if backward {
			k.desc, k.nullsFirst = !k.desc, !k.nullsFirst
		}
		fetch[i] = k.String()
		cursorVals[i] = k.expr
	}
	order := strings.Join(fetch, ", ")
	cursor := `translate(encode(convert_to(json_build_array(` + strings.Join(cursorVals, ", ") + `)::text, 'UTF8'), 'base64'), E'\n', '')`
	sizeS := strconv.Itoa(size)
	count := "(SELECT count(*) FROM page)"
	last := "(SELECT cursor FROM page WHERE n = LEAST(" + count + ", " + sizeS + "))"
	firstRow := "(SELECT cursor FROM page WHERE n = 1)"
	hasMore := count + " > " + sizeS
	edgeOrder := "n"
	startCursor, endCursor := firstRow, last
	hasNext, hasPrev := hasMore, strconv.FormatBool(args.After != nil)
	if backward {
		edgeOrder = "n DESC"
		startCursor, endCursor = last, firstRow
		hasNext, hasPrev = strconv.FormatBool(args.Before != nil), hasMore
	}

	var nodeCols []string
	obj, err := objectOf(op.Members, func(n Member) (string, error) {
		switch n.Kind {
		case TotalCount:
			return "(SELECT count(*) FROM " + sc.c.Table() + " " + alias + " WHERE " + cond + ")", nil
		case PageInfo:
			return objectOf(n.Sub, func(m Member) (string, error) {
				if m.Kind != PageField {
					return "", nil
				}
				return map[string]string{"has_next_page": hasNext, "has_previous_page": hasPrev, "start_cursor": startCursor, "end_cursor": endCursor}[m.Name], nil
			})
		case Edges:
			edge, err := objectOf(n.Sub, func(m Member) (string, error) {
				switch m.Kind {
				case Cursor:
					return "cursor", nil
				case Node:
					obj, err := b.object(sc, m.Sub)
					if err != nil {
						return "", err
					}
					col := "node" + strconv.Itoa(len(nodeCols))
					nodeCols = append(nodeCols, obj+" AS "+col)
					return col, nil
				}
				return "", nil
			})
			if err != nil {
				return "", err
			}
			return "COALESCE((SELECT json_agg(" + edge + " ORDER BY " + edgeOrder + ") FROM page WHERE n <= " + sizeS + "), '[]'::json)", nil
		}
		return "", nil
	})
	if err != nil {
		return "", err
	}
	cols := append(nodeCols, cursor+" AS cursor", "row_number() OVER (ORDER BY "+order+") AS n")
	page := "SELECT " + strings.Join(cols, ", ") + " FROM " + sc.c.Table() + " " + alias + " WHERE " + cond + " AND " + keyset +
		" ORDER BY " + order + " LIMIT " + strconv.Itoa(size+1)
	return "WITH page AS (" + page + ") SELECT " + obj, nil
}

// rowwise reports whether keys are all system columns (never NULL) sorted
// the same way, with string cursor values.
func rowwise(keys []sortKey, vals []any) bool {
	for i, k := range keys {
		if _, ok := vals[i].(string); !ok || k.desc != keys[0].desc {
			return false
		}
		switch k.name {
		case "id", "created", "updated":
		default:
			return false
		}
	}
	return true
}

// keyset is the condition "strictly after" (or before) the cursor in the
// order of keys. Each key orders by whether it is NULL, then by value, so
// NULLs page like any other value.
func (b *renderer) keyset(keys []sortKey, cursor string, after bool) (string, error) {
	invalid := partError(PartBefore, "{before}: invalid cursor")
	if after {
		invalid = partError(PartAfter, "{after}: invalid cursor")
	}
	raw, err := base64.StdEncoding.DecodeString(cursor)
	var vals []any
	if err == nil {
		err = json.Unmarshal(raw, &vals)
	}
	if err != nil || len(vals) != len(keys) {
		return "", invalid
	}
	for i, k := range keys {
		if !cursorValue(vals[i], k.sqlType) {
			return "", invalid
		}
	}
	if rowwise(keys, vals) {
		// Keys that cannot be NULL, all one way: a row comparison, which
		// an index on the keys (the default (created, id) one) answers
		// directly, so a deep page costs what the first does.
		exprs, binds := make([]string, len(keys)), make([]string, len(keys))
		for i, k := range keys {
			exprs[i], binds[i] = k.expr, b.a.add(vals[i])+"::"+k.sqlType
		}
		op := ">"
		if keys[0].desc == after {
			op = "<"
		}
		return "(" + strings.Join(exprs, ", ") + ") " + op + " (" + strings.Join(binds, ", ") + ")", nil
	}
	type part struct {
		expr, val string
		desc      bool
	}
	var parts []part
	for i, k := range keys {
		v := vals[i]
		var bound any
		switch x := v.(type) {
		case nil:
		case string:
			bound = x
		case float64:
			bound = strconv.FormatFloat(x, 'g', -1, 64)
		case bool:
			bound = strconv.FormatBool(x)
		default:
			return "", invalid
		}
		parts = append(parts,
			part{"(" + k.expr + " IS NULL)", b.a.add(v == nil) + "::boolean", k.nullsFirst},
			part{k.expr, b.a.add(bound) + "::" + k.sqlType, k.desc})
	}
	var ors []string
	for i, p := range parts {
		var ands []string
		for _, q := range parts[:i] {
			ands = append(ands, q.expr+" IS NOT DISTINCT FROM "+q.val)
		}
		op := ">"
		if p.desc == after {
			op = "<"
		}
		ands = append(ands, p.expr+" "+op+" "+p.val)
		ors = append(ors, "("+strings.Join(ands, " AND ")+")")
	}
	return "COALESCE(" + strings.Join(ors, " OR ") + ", false)", nil
}
