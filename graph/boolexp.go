package graph

import (
	"encoding/json"
	"sort"

	"fastcms/internal/apierr"
	"fastcms/internal/collections"
	"fastcms/internal/query"
)

// whereScope is the collection a bool_exp is over, as the caller sees it.
type whereScope struct {
	snap  *collections.Snapshot
	c     *collections.Collection
	admin bool
}

// visible is the field name of sc's collection unless it is hidden from
// the caller.
func (sc whereScope) visible(name string) *collections.Field {
	f := sc.c.Field(name)
	if f == nil || (f.Hidden && !sc.admin) {
		return nil
	}
	return f
}

// boolExp translates a GraphQL <collection>_bool_exp into the filter
// language's AST, once, for both back ends: records compiles it to SQL for
// queries and mutations and evaluates it on each event for
// subscriptions. Comparisons become the same nodes a REST filter parses to, so _eq/_neq/_gt/…/_in/_nin/
// _is_null mean what =, !=, >, … mean there (two-valued: _neq matches
// NULL); the operators the text syntax has no word for become query.Call;
// a condition on a relation becomes query.Exists (some related record the
// caller may view matches, as in Hasura). A nil result matches everything.
func boolExp(sc whereScope, w map[string]any) (query.Expr, error) {
	var parts []query.Expr
	for _, k := range sortedKeys(w) {
		v := w[k]
		if v == nil {
			continue
		}
		var e query.Expr
		var err error
		switch k {
		case "_and", "_or":
			list, _ := v.([]any)
			if m, ok := v.(map[string]any); ok {
				list = []any{m} // a single value where a list is expected
			}
			subs := make([]query.Expr, 0, len(list))
			for _, item := range list {
				m, _ := item.(map[string]any)
				sub, err := boolExp(sc, m)
				if err != nil {
					return nil, err
				}
				subs = append(subs, sub)
			}
			if k == "_and" {
				e = conj(query.And, subs)
			} else {
				e = conj(query.Or, subs)
			}
		case "_not":
			m, _ := v.(map[string]any)
			sub, err := boolExp(sc, m)
			if err != nil {
				return nil, err
			}
			e = &query.Not{X: sub}
		default:
			m, _ := v.(map[string]any)
			e, err = fieldExp(sc, k, m)
		}
		if err != nil {
			return nil, err
		}
		parts = append(parts, e)
	}
	return conj(query.And, parts), nil
}

// conj joins parts with op, where a nil part is TRUE: it drops out of an
// And and makes an Or TRUE. No part is an And of nothing (TRUE), an Or of
// nothing is FALSE.
func conj(op query.LogicalOp, parts []query.Expr) query.Expr {
	var out query.Expr
	for _, p := range parts {
		switch {
		case p == nil && op == query.Or:
			return nil
		case p == nil:
		case out == nil:
			out = p
		default:
			out = &query.Logical{Op: op, Left: out, Right: p}
		}
	}
	if out == nil && op == query.Or {
		return &query.Not{} // FALSE
	}
	return out
}

// comparisonOps are the operators the text syntax has.
var comparisonOps = map[string]query.Op{"_eq": query.Eq, "_neq": query.Neq, "_gt": query.Gt, "_gte": query.Gte, "_lt": query.Lt, "_lte": query.Lte}

// functionOps are the operators that become a query.Call.
var functionOps = map[string]query.Func{
	"_like": query.FuncLike, "_ilike": query.FuncILike, "_nlike": query.FuncNotLike, "_nilike": query.FuncNotILike,
	"_regex": query.FuncRegex, "_iregex": query.FuncIRegex, "_has_key": query.FuncHasKey,
	"_contains": query.FuncContains, "_contained_in": query.FuncContainedIn, "_overlaps": query.FuncOverlaps,
}

// fieldExp is the condition of one field's comparison object or, for a
// relation, of the related record's bool_exp.
func fieldExp(sc whereScope, name string, ops map[string]any) (query.Expr, error) {
	field := &query.Ident{Path: []string{name}}
	switch name {
	case "id", "created", "updated":
	default:
		f := sc.visible(name)
		if f == nil {
			return backExp(sc, name, ops)
		}
		if f.Relation != nil {
			target := sc.snap.Get(f.Relation.CollectionID)
			if target == nil {
				return &query.Not{}, nil
			}
			sub, err := boolExp(whereScope{sc.snap, target, sc.admin}, ops)
			if err != nil {
				return nil, err
			}
			return &query.Exists{Field: field, Where: sub}, nil
		}
	}
	cmp := func(op query.Op, v any) query.Expr {
		return &query.Comparison{Op: op, Left: field, Right: &query.Literal{Value: literal(v)}}
	}
	var parts []query.Expr
	for _, op := range sortedKeys(ops) {
		v := ops[op]
		if v == nil {
			return nil, apierr.BadRequest("where: %s.%s: null is not a value here (use _is_null)", name, op)
		}
		if qop, ok := comparisonOps[op]; ok {
			parts = append(parts, cmp(qop, v))
			continue
		}
		if fn, ok := functionOps[op]; ok {
			arg := v
			if list, ok := v.([]any); ok && (fn != query.FuncContains || !isJSON(sc, name)) {
				strs := make([]string, 0, len(list))
				for _, item := range list {
					s, _ := item.(string)
					strs = append(strs, s)
				}
				arg = strs
			}
			if fn != query.FuncContains && isJSON(sc, name) && fn != query.FuncHasKey {
				return nil, apierr.BadRequest("where: %s: %s does not apply to jsonb", name, op)
			}
			parts = append(parts, &query.Call{Func: fn, Field: field, Arg: arg})
			continue
		}
		switch op {
		case "_in", "_nin":
			list, _ := v.([]any)
			join, each := query.Or, query.Eq
			if op == "_nin" {
				join, each = query.And, query.Neq
			}
			items := make([]query.Expr, 0, len(list))
			for _, item := range list {
				if item == nil {
					return nil, apierr.BadRequest("where: %s.%s: null is not a value here (use _is_null)", name, op)
				}
				items = append(items, cmp(each, item))
			}
			parts = append(parts, conj(join, items))
		case "_is_null":
			if isNull, _ := v.(bool); isNull {
				parts = append(parts, cmp(query.Eq, nil))
			} else {
				parts = append(parts, cmp(query.Neq, nil))
			}
		default:
			return nil, apierr.BadRequest("where: %s: unknown operator %s", name, op)
		}
	}
	return conj(query.And, parts), nil
}

// backExp is the condition of a back-relation, <collection>_via_<field>:
// some record of the other collection that points here, and that the
// caller may view, matches ops (Hasura's array relationships).
func backExp(sc whereScope, name string, ops map[string]any) (query.Expr, error) {
	other, f := sc.snap.BackRelation(sc.c, name)
	if other == nil || (f.Hidden && !sc.admin) {
		return nil, apierr.BadRequest("where: unknown field %q", name)
	}
	sub, err := boolExp(whereScope{sc.snap, other, sc.admin}, ops)
	if err != nil {
		return nil, err
	}
	return &query.Exists{Field: &query.Ident{Path: []string{name}}, Where: sub}, nil
}

func isJSON(sc whereScope, name string) bool {
	f := sc.c.Field(name)
	return f != nil && collections.TypeOf(f).Kind(f) == query.KindJSON
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// literal converts a GraphQL argument value to what query.Literal holds.
func literal(v any) any {
	switch x := v.(type) {
	case json.Number:
		if f, err := x.Float64(); err == nil {
			return f
		}
	case int64:
		return float64(x)
	case int:
		return float64(x)
	case int32:
		return float64(x)
	}
	return v
}
