package graph

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"fastcms/internal/apierr"
	"fastcms/internal/auth"
	"fastcms/internal/collections"
	"fastcms/internal/records"
)

// The GraphQL adapter of the read plan: a collection field's Hasura
// arguments (where, order_by, distinct_on, limit, offset, search, the
// connection's first/last/after/before) and its selection become a
// records.Op, which records renders into one statement. Nothing of
// GraphQL's shapes goes further than this file and boolexp.go.

// rows translates the list arguments of a field over collection c.
func (g *generation) rows(ctx context.Context, c *collections.Collection, args map[string]any) (records.Rows, error) {
	var a records.Rows
	if w, _ := args["where"].(map[string]any); w != nil {
		e, err := boolExp(whereScope{snap: g.snap, c: c, admin: auth.FromContext(ctx).IsAdmin()}, w)
		if err != nil {
			return a, err
		}
		a.Where = e
	}
	var err error
	if a.Order, err = orderBy(args["order_by"]); err != nil {
		return a, err
	}
	switch d := args["distinct_on"].(type) {
	case []any:
		for _, v := range d {
			if name, ok := v.(string); ok {
				a.DistinctOn = append(a.DistinctOn, name)
			}
		}
	case string:
		a.DistinctOn = []string{d} // a single value where a list is expected
	}
	a.Limit, _ = intArg(args["limit"])
	a.Offset, _ = intArg(args["offset"])
	a.First, _ = intArg(args["first"])
	a.Last, _ = intArg(args["last"])
	a.Search, _ = args["search"].(string)
	if s, ok := args["after"].(string); ok {
		a.After = &s
	}
	if s, ok := args["before"].(string); ok {
		a.Before = &s
	}
	return a, nil
}

// orderBy translates order_by: a list of {field: direction} objects (the
// keys of one object in name order). Hasura's shapes:
//
//	{title: asc}                             a field
//	{author: {name: asc}}                    a forward relation's target fields
//	{posts_via_author_aggregate: {count: desc, max: {views: asc}}}
//	{_rank: desc}                            the search rank
func orderBy(v any) ([]records.SortKey, error) {
	list, _ := v.([]any)
	if m, ok := v.(map[string]any); ok {
		list = []any{m} // a single value where a list is expected
	}
	var keys []records.SortKey
	for _, item := range list {
		m, _ := item.(map[string]any)
		var err error
		if keys, err = appendOrder(keys, m, nil); err != nil {
			return nil, err
		}
	}
	return keys, nil
}

// appendOrder appends the keys of one order_by object nested under the
// relations path.
func appendOrder(keys []records.SortKey, m map[string]any, path []string) ([]records.SortKey, error) {
	at := func(names ...string) []string { return append(slices.Clone(path), names...) }
	for _, name := range sortedKeys(m) {
		switch v := m[name].(type) {
		case string:
			k := records.SortKey{Path: at(name)}
			if name == "_rank" && len(path) == 0 {
				k = records.SortKey{Rank: true}
			}
			if err := direction(&k, v); err != nil {
				return nil, err
			}
			keys = append(keys, k)
		case map[string]any:
			back, ok := strings.CutSuffix(name, "_aggregate")
			if !ok || !strings.Contains(back, "_via_") {
				var err error
				if keys, err = appendOrder(keys, v, at(name)); err != nil {
					return nil, err
				}
				continue
			}
			for _, fn := range sortedKeys(v) {
				if dir, ok := v[fn].(string); ok && fn == "count" {
					k := records.SortKey{Path: at(back), Agg: fn}
					if err := direction(&k, dir); err != nil {
						return nil, err
					}
					keys = append(keys, k)
					continue
				}
				cols, _ := v[fn].(map[string]any)
				for _, c := range sortedKeys(cols) {
					dir, _ := cols[c].(string)
					k := records.SortKey{Path: at(back, c), Agg: fn}
					if err := direction(&k, dir); err != nil {
						return nil, err
					}
					keys = append(keys, k)
				}
			}
		}
	}
	return keys, nil
}

// direction sets k's direction from an order_by value.
func direction(k *records.SortKey, dir string) error {
	switch dir {
	case "asc", "asc_nulls_last":
	case "asc_nulls_first":
		k.NullsFirst = true
	case "desc", "desc_nulls_first":
		k.Desc, k.NullsFirst = true, true
	case "desc_nulls_last":
		k.Desc = true
	default:
		return apierr.BadRequest("order_by: unknown direction %q", dir)
	}
	return nil
}

// plainData converts GraphQL argument values to what a JSON body decodes
// to, as records' writes take them: numbers become float64.
func plainData(m map[string]any) map[string]any {
	if m == nil {
		return nil
	}
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = plainValue(v)
	}
	return out
}

func plainValue(v any) any {
	switch x := v.(type) {
	case []any:
		list := make([]any, len(x))
		for i, e := range x {
			list[i] = plainValue(e)
		}
		return list
	case map[string]any:
		return plainData(x)
	}
	return literal(v)
}

func intArg(v any) (*int, bool) {
	var n int
	switch x := v.(type) {
	case int:
		n = x
	case int64:
		n = int(x)
	case int32:
		n = int(x)
	case float64:
		n = int(x)
	case json.Number:
		i, err := strconv.Atoi(string(x))
		if err != nil {
			return nil, false
		}
		n = i
	default:
		return nil, false
	}
	return &n, true
}

func (g *generation) selection(ctx context.Context, oc *graphql.OperationContext, set ast.SelectionSet, typeName string) ([]records.Member, error) {
	ti, ok := g.info.types[typeName]
	if !ok {
		return nil, errors.New("graph: no run-time type " + typeName)
	}
	fields := graphql.CollectFields(oc, set, []string{typeName})
	out := make([]records.Member, 0, len(fields))
	for _, f := range fields {
		n := records.Member{Key: f.Alias, Name: f.Name}
		if n.Key == "" {
			n.Key = f.Name
		}
		var err error
		sub := func(kind records.MemberKind, t string) {
			n.Kind = kind
			if err == nil {
				n.Sub, err = g.selection(ctx, oc, f.Selections, t)
			}
		}
		if f.Name == "__typename" {
			n.Kind, n.Name = records.Typename, typeName
			out = append(out, n)
			continue
		}
		switch ti.role {
		case roleRecord:
			if rel, ok := g.info.back[typeName][f.Name]; ok {
				rows, err := g.rows(ctx, rel.other, f.ArgumentMap(oc.Variables))
				if err != nil {
					return nil, err
				}
				n.Name, n.Field, n.Rows = rel.other.Name, rel.field, &rows
				if rel.aggregate {
					sub(records.BackAggregate, rel.other.Name+"_aggregate")
				} else {
					sub(records.BackRelation, rel.other.Name)
				}
				break
			}
			if field, ok := g.info.files[typeName][f.Name]; ok {
				n.Kind, n.Field, n.Sub = records.Files, field, fileSelection(oc, f.Selections)
				break
			}
			n.Kind = records.Column
			if cf := ti.coll.Field(f.Name); cf != nil && cf.Relation != nil && f.Definition != nil {
				sub(records.Relation, f.Definition.Type.Name())
			}
		case roleAggregate:
			if f.Name == "aggregate" {
				sub(records.Aggregate, typeName+"_fields")
			} else {
				sub(records.Nodes, ti.coll.Name)
			}
		case roleAggregateFields:
			if f.Name == "count" {
				n.Kind = records.Count
			} else {
				sub(records.AggFunc, ti.coll.Name+"_"+f.Name+"_fields")
			}
		case roleAggregateFunc:
			n.Kind = records.Column
		case roleConnection:
			switch f.Name {
			case "edges":
				sub(records.Edges, ti.coll.Name+"_edge")
			case "page_info":
				sub(records.PageInfo, "page_info")
			default:
				n.Kind = records.TotalCount
			}
		case roleEdge:
			if f.Name == "cursor" {
				n.Kind = records.Cursor
			} else {
				sub(records.Node, ti.coll.Name)
			}
		case rolePageInfo:
			n.Kind = records.PageField
		case roleEvent:
			if f.Name == "data" || f.Name == "old" {
				sub(records.Node, ti.coll.Name)
			} else {
				n.Kind = records.Column
			}
		case roleMutationResponse:
			if f.Name == "affected_rows" {
				n.Kind = records.AffectedRows
			} else {
				sub(records.Returning, ti.coll.Name)
			}
		}
		if err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, nil
}

// partNames are the GraphQL arguments the parts of a plan come from, for
// the errors of its reads and writes about them (records.PartError).
var partNames = map[records.Part]string{
	records.PartWhere: "where", records.PartOrder: "order_by", records.PartDistinct: "distinct_on",
	records.PartLimit: "limit", records.PartOffset: "offset", records.PartFirst: "first", records.PartLast: "last",
	records.PartAfter: "after", records.PartBefore: "before",
	records.PartObject: "object", records.PartObjects: "objects", records.PartSet: "_set", records.PartInc: "_inc",
	records.PartUpdates: "updates", records.PartAtMost: "at_most",
}
