package query

import (
	"encoding/json"
	"slices"
)

// jsonHasKey is jsonb's `?`: k is a top-level key of an object, a string
// element of an array, or the string itself.
func jsonHasKey(v any, k string) bool {
	switch x := v.(type) {
	case map[string]any:
		_, ok := x[k]
		return ok
	case []any:
		return slices.Contains(x, any(k))
	case string:
		return x == k
	}
	return false
}

// jsonContains is jsonb's `@>`: an object contains the keys of b with
// contained values, an array contains every element of b somewhere, and
// scalars are equal. Only at the top level (top) may an array contain a
// bare scalar, as in PostgreSQL.
func jsonContains(a, b any, top bool) bool {
	switch bv := b.(type) {
	case map[string]any:
		am, ok := a.(map[string]any)
		if !ok {
			return false
		}
		for k, v := range bv {
			if av, ok := am[k]; !ok || !jsonContains(av, v, false) {
				return false
			}
		}
		return true
	case []any:
		aa, ok := a.([]any)
		if !ok {
			return false
		}
		for _, x := range bv {
			if !slices.ContainsFunc(aa, func(y any) bool { return jsonContains(y, x, false) }) {
				return false
			}
		}
		return true
	}
	if aa, ok := a.([]any); ok && top {
		return slices.Contains(aa, b)
	}
	return a == b
}

// jsonValue normalises a Go value to what json.Unmarshal gives, the form
// record values of json fields have.
func jsonValue(v any) any {
	b, err := json.Marshal(v)
	if err != nil {
		return v
	}
	var out any
	if json.Unmarshal(b, &out) != nil {
		return v
	}
	return out
}

// subset reports whether every element of a is in b.
func subset(a, b []string) bool {
	for _, x := range a {
		if !slices.Contains(b, x) {
			return false
		}
	}
	return true
}
