package query

import (
	"fmt"
	"slices"
	"time"
)

// Eval reports whether record matches e, giving exactly the answer the SQL
// from Compile gives for the same row. It serves access rules on records
// that are already in memory (e.g. create/update checks, realtime fan-out).
// A nil e matches everything.
//
// The record maps field names (Field.Name) to Go values: string (text, uuid:
// lowercase canonical form; a fmt.Stringer such as uuid.UUID also works for
// uuid kinds), any Go number, bool, time.Time, []string or
// []any (multi; elements may be nil), any (json), nil for NULL. A missing key
// is NULL. For a path through a relation (`author.name`) the relation field
// must hold the related record as map[string]any (nil if there is none); a
// multi relation holds []map[string]any or []any of such maps; a map that
// holds nothing but "id" is an id with no record behind it (dangling). A
// relation compared directly may also hold just its id string. Problems in the
// expression are *Error; values of the wrong Go type give a plain error.
func Eval(e Expr, fields Fields, record map[string]any, opts Options) (bool, error) {
	n, err := bind(e, fields, &opts)
	if err != nil {
		return false, err
	}
	return evalNode(n, record)
}

func evalNode(n node, rec map[string]any) (bool, error) {
	switch n := n.(type) {
	case nConst:
		return bool(n), nil
	case *nLogic:
		l, err := evalNode(n.l, rec)
		if err != nil || l == (n.op == Or) {
			return l, err
		}
		return evalNode(n.r, rec)
	case *nEmpty:
		vals, err := values(n.ref, dText, rec)
		return (len(vals) > 0) == n.nonEmpty, err
	case *nCmp:
		lv, err := sideValues(n.l, n.d, rec)
		if err != nil {
			return false, err
		}
		rv, err := sideValues(n.r, n.d, rec)
		if err != nil {
			return false, err
		}
		// At most one side has several values; any of them may match.
		for _, a := range lv {
			for _, b := range rv {
				if compare(n.op, n.d, a, b) {
					return true, nil
				}
			}
		}
		return false, nil
	case *nNot:
		ok, err := evalNode(n.x, rec)
		return !ok, err
	case *nCall:
		return evalCall(n, rec)
	case *nExists:
		recs, err := reach(n.ref, rec)
		if err != nil {
			return false, err
		}
		for _, r := range recs {
			if ok, err := evalNode(n.where, r); err != nil || ok {
				return ok, err
			}
		}
		return false, nil
	}
	return false, fmt.Errorf("query: unknown node %T", n)
}

// sideValues returns the candidate values of a side: one value for scalars
// (nil when NULL or unreachable), all elements for multi-valued sides.
func sideValues(s side, d domain, rec map[string]any) ([]any, error) {
	if s.ref == nil {
		return []any{s.val}, nil
	}
	vals, err := values(s.ref, d, rec)
	if err != nil || s.ref.multi() {
		return vals, err
	}
	if len(vals) == 0 {
		return []any{nil}, nil
	}
	return vals[:1], nil
}

// values walks ref through rec and returns the normalised values found:
// every element for multi fields, one value per reachable record otherwise.
// Records missing along the way contribute nothing, like the inner joins
// of the SQL back end.
func values(ref *fieldRef, d domain, rec map[string]any) ([]any, error) {
	recs, err := reach(ref, rec)
	if err != nil {
		return nil, err
	}
	f := ref.last
	var out []any
	for _, r := range recs {
		raw := r[f.Name]
		if f.Kind != KindMulti {
			v, err := normalize(f, d, raw)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
			continue
		}
		elems, err := list(f, raw)
		if err != nil {
			return nil, err
		}
		for _, e := range elems {
			v, err := normalize(f, d, e)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
	}
	return out, nil
}

// reach walks ref's relation steps from rec and returns the related
// records at the end, only those each step's guard lets through (a guard
// that cannot be evaluated on a record hides it: rules fail closed).
func reach(ref *fieldRef, rec map[string]any) ([]map[string]any, error) {
	recs := []map[string]any{rec}
	for i, step := range ref.steps {
		var next []map[string]any
		for _, r := range recs {
			rel, err := related(step, r[step.Name])
			if err != nil {
				return nil, err
			}
			for _, x := range rel {
				if g := ref.guards[i]; g != nil {
					if ok, err := evalNode(g, x); err != nil || !ok {
						continue
					}
				}
				next = append(next, x)
			}
		}
		recs = next
	}
	return recs, nil
}

// related returns the related records held in a relation field.
func related(f Field, raw any) ([]map[string]any, error) {
	if f.Kind == KindRelation && !f.Back {
		raw = []any{raw}
	}
	elems, err := list(f, raw)
	if err != nil {
		return nil, err
	}
	var out []map[string]any
	for _, e := range elems {
		switch e := e.(type) {
		case nil:
		case map[string]any:
			if _, onlyID := e["id"]; onlyID && len(e) == 1 {
				continue // a dangling id: no record is there
			}
			out = append(out, e)
		default:
			return nil, fmt.Errorf("query: relation %q must hold the related record as map[string]any, got %T", f.Name, e)
		}
	}
	return out, nil
}

func list(f Field, raw any) ([]any, error) {
	switch x := raw.(type) {
	case nil:
		return nil, nil
	case []any:
		return x, nil
	case []string:
		out := make([]any, len(x))
		for i, s := range x {
			out[i] = s
		}
		return out, nil
	case []map[string]any:
		out := make([]any, len(x))
		for i, m := range x {
			out[i] = m
		}
		return out, nil
	}
	return nil, fmt.Errorf("query: field %q must hold a list, got %T", f.Name, raw)
}

// normalize converts a record value of field f to the representation of domain d.
func normalize(f Field, d domain, raw any) (any, error) {
	if m, ok := raw.(map[string]any); ok && isUUIDKind(f) {
		raw = m["id"] // an expanded relation compares by its id
	}
	if raw == nil {
		return nil, nil
	}
	switch d {
	case dJSON:
		return raw, nil
	case dText:
		if s, ok := raw.(string); ok {
			return s, nil
		}
		if s, ok := raw.(fmt.Stringer); ok && isUUIDKind(f) { // e.g. uuid.UUID
			return s.String(), nil
		}
	case dNumber:
		if x, ok := toFloat(raw); ok {
			return x, nil
		}
	case dBool:
		if b, ok := raw.(bool); ok {
			return b, nil
		}
	case dDate, dDateTime:
		t, ok := raw.(time.Time)
		if s, isStr := raw.(string); isStr && f.Kind == KindDate {
			p, err := time.Parse(time.DateOnly, s)
			t, ok = p, err == nil
		}
		if !ok {
			break
		}
		switch {
		case f.Kind == KindDate:
			// A date is a calendar day whatever zone the driver attached.
			y, m, day := t.Date()
			return time.Date(y, m, day, 0, 0, 0, 0, time.UTC), nil
		case d == dDate:
			return utcDate(t), nil
		}
		return t.UTC().Truncate(time.Microsecond), nil
	}
	return nil, fmt.Errorf("query: field %q (%s) cannot hold %T", f.Name, f.Kind, raw)
}

// evalCall applies a function with the meaning its SQL has.
func evalCall(n *nCall, rec map[string]any) (bool, error) {
	f := n.ref.last
	raw := rec[f.Name]
	if n.re != nil {
		v, err := normalize(f, dText, raw)
		if err != nil {
			return false, err
		}
		negated := n.fn == FuncNotLike || n.fn == FuncNotILike
		if v == nil {
			return negated, nil
		}
		return n.re.MatchString(v.(string)) != negated, nil
	}
	switch {
	case f.Kind == KindJSON && raw == nil:
		return false, nil
	case n.fn == FuncHasKey:
		return jsonHasKey(raw, n.arg.(string)), nil
	case f.Kind == KindJSON:
		return jsonContains(raw, n.arg, true), nil
	}
	// A multi field's NULL is its empty list, as everywhere in the language.
	elems, err := list(f, raw)
	if err != nil {
		return false, err
	}
	have := make([]string, 0, len(elems))
	for _, e := range elems {
		v, err := normalize(f, dText, e)
		if err != nil {
			return false, err
		}
		if s, ok := v.(string); ok {
			have = append(have, s)
		}
	}
	want := n.arg.([]string)
	switch n.fn {
	case FuncContains:
		return subset(want, have), nil
	case FuncContainedIn:
		return len(have) == len(elems) && subset(have, want), nil
	}
	for _, w := range want {
		if slices.Contains(have, w) {
			return true, nil
		}
	}
	return false, nil
}
