package records

import (
	"encoding/json"
	"sort"
	"strings"

	"github.com/lib/pq"

	"fastcms/internal/collections"
	"fastcms/internal/query"
)

// where compiles a GraphQL <collection>_bool_exp into a condition on the
// row of sc. Comparisons of one field become internal/query AST nodes
// (Comparison, Logical) and compile exactly as a REST filter does, so
// _eq/_neq/_gt/…/_in/_nin/_is_null mean what =, !=, >, … mean there
// (including its two-valued NULL handling: _neq matches NULL). The
// operators the filter language has no word for (_like, _regex, jsonb and
// array containment) are plain PostgreSQL operators on the column, bound
// as parameters. A relation condition holds when the related record exists
// and meets it (EXISTS), as in Hasura.
func (b *gqlBuilder) where(sc *scope, w map[string]any) (string, error) {
	if len(w) == 0 {
		return "TRUE", nil
	}
	keys := make([]string, 0, len(w))
	for k := range w {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		v := w[k]
		if v == nil {
			continue
		}
		switch k {
		case "_and", "_or":
			list, _ := v.([]any)
			var subs []string
			for _, item := range list {
				m, _ := item.(map[string]any)
				s, err := b.where(sc, m)
				if err != nil {
					return "", err
				}
				subs = append(subs, "COALESCE("+s+", false)")
			}
			switch {
			case len(subs) == 0 && k == "_and":
				parts = append(parts, "TRUE")
			case len(subs) == 0:
				parts = append(parts, "FALSE")
			case k == "_and":
				parts = append(parts, "("+strings.Join(subs, " AND ")+")")
			default:
				parts = append(parts, "("+strings.Join(subs, " OR ")+")")
			}
		case "_not":
			m, _ := v.(map[string]any)
			s, err := b.where(sc, m)
			if err != nil {
				return "", err
			}
			parts = append(parts, "NOT COALESCE("+s+", false)")
		default:
			m, _ := v.(map[string]any)
			s, err := b.fieldCond(sc, k, m)
			if err != nil {
				return "", err
			}
			parts = append(parts, s)
		}
	}
	if len(parts) == 0 {
		return "TRUE", nil
	}
	return "(" + strings.Join(parts, " AND ") + ")", nil
}

// fieldCond is the condition of one field's comparison object (or, for a
// relation, the target's bool_exp).
func (b *gqlBuilder) fieldCond(sc *scope, name string, ops map[string]any) (string, error) {
	row := sc.opts.Alias
	var f *collections.Field
	switch name {
	case "id", "created", "updated":
	default:
		if f = sc.visible(name); f == nil {
			return "", gqlError("where: unknown field %q", name)
		}
	}
	if f != nil && f.Relation != nil {
		target := b.snap.Get(f.Relation.CollectionID)
		if target == nil {
			return "FALSE", nil
		}
		t := b.scope(target, b.newAlias())
		tr := t.opts.Alias
		cond, err := b.where(t, ops)
		if err != nil {
			return "", err
		}
		link := qcol(tr, "id") + " = " + qcol(row, f.Name)
		if f.Multi() {
			link = qcol(tr, "id") + " = ANY(" + qcol(row, f.Name) + ")"
		}
		return "EXISTS (SELECT 1 FROM " + target.Table() + " " + collections.Quote(tr) + " WHERE " + link + " AND " + cond + ")", nil
	}
	keys := make([]string, 0, len(ops))
	for k := range ops {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var expr query.Expr
	and := func(e query.Expr) {
		if expr == nil {
			expr = e
		} else {
			expr = &query.Logical{Op: query.And, Left: expr, Right: e}
		}
	}
	cmp := func(op query.Op, v any) query.Expr {
		return &query.Comparison{Op: op, Left: &query.Ident{Path: []string{name}}, Right: &query.Literal{Value: literal(v)}}
	}
	var raw []string // conditions outside the filter language
	column := qcol(row, name)
	for _, op := range keys {
		v := ops[op]
		if v == nil {
			return "", gqlError("where: %s.%s: null is not a value here (use _is_null)", name, op)
		}
		switch op {
		case "_eq", "_neq", "_gt", "_gte", "_lt", "_lte":
			and(cmp(map[string]query.Op{"_eq": query.Eq, "_neq": query.Neq, "_gt": query.Gt, "_gte": query.Gte, "_lt": query.Lt, "_lte": query.Lte}[op], v))
		case "_in", "_nin":
			list, _ := v.([]any)
			if len(list) == 0 {
				if op == "_in" {
					raw = append(raw, "FALSE")
				}
				continue
			}
			var chain query.Expr
			for _, item := range list {
				if item == nil {
					return "", gqlError("where: %s.%s: null is not a value here (use _is_null)", name, op)
				}
				var e query.Expr
				var join query.LogicalOp
				if op == "_in" {
					e, join = cmp(query.Eq, item), query.Or
				} else {
					e, join = cmp(query.Neq, item), query.And
				}
				if chain == nil {
					chain = e
				} else {
					chain = &query.Logical{Op: join, Left: chain, Right: e}
				}
			}
			and(chain)
		case "_is_null":
			if isNull, _ := v.(bool); isNull {
				and(cmp(query.Eq, nil))
			} else {
				and(cmp(query.Neq, nil))
			}
		case "_like", "_ilike", "_nlike", "_nilike":
			s, _ := v.(string)
			kw := map[string]string{"_like": "LIKE", "_ilike": "ILIKE", "_nlike": "LIKE", "_nilike": "ILIKE"}[op]
			p := b.a.add(s) + "::text"
			if strings.HasPrefix(op, "_n") {
				raw = append(raw, "("+column+" IS NULL OR "+column+" NOT "+kw+" "+p+")")
			} else {
				raw = append(raw, column+" "+kw+" "+p)
			}
		case "_regex", "_iregex":
			s, _ := v.(string)
			kw := "~"
			if op == "_iregex" {
				kw = "~*"
			}
			raw = append(raw, column+" "+kw+" "+b.a.add(s)+"::text")
		case "_has_key":
			s, _ := v.(string)
			raw = append(raw, column+" ? "+b.a.add(s)+"::text")
		case "_contains", "_contained_in", "_overlaps":
			sqlOp := map[string]string{"_contains": "@>", "_contained_in": "<@", "_overlaps": "&&"}[op]
			if f != nil && f.Type == "json" {
				if op != "_contains" {
					return "", gqlError("where: %s: %s does not apply to jsonb", name, op)
				}
				j, err := json.Marshal(v)
				if err != nil {
					return "", gqlError("where: %s._contains: %v", name, err)
				}
				raw = append(raw, column+" @> "+b.a.add(string(j))+"::jsonb")
				continue
			}
			list, _ := v.([]any)
			strs := make([]string, 0, len(list))
			for _, item := range list {
				s, _ := item.(string)
				strs = append(strs, s)
			}
			raw = append(raw, column+" "+sqlOp+" "+b.a.add(pq.Array(strs))+"::text[]")
		default:
			return "", gqlError("where: %s: unknown operator %s", name, op)
		}
	}
	var parts []string
	if expr != nil {
		s, err := b.compileExpr(sc, expr)
		if err != nil {
			return "", err
		}
		parts = append(parts, "COALESCE("+s+", false)")
	}
	parts = append(parts, raw...)
	if len(parts) == 0 {
		return "TRUE", nil
	}
	return "(" + strings.Join(parts, " AND ") + ")", nil
}

// compileExpr compiles an AST built from where: as a REST filter is
// compiled, against the fields the caller may see.
func (b *gqlBuilder) compileExpr(sc *scope, e query.Expr) (string, error) {
	opts := sc.opts
	opts.ArgOffset = len(b.a.list)
	s, bound, err := query.Compile(e, sc.fields(), opts)
	if err != nil {
		return "", gqlError("where: %v", err)
	}
	b.a.list = append(b.a.list, bound...)
	return "(" + s + ")", nil
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
