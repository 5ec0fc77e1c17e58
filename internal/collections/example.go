package collections

import (
	"encoding/json"
	"strconv"
)

// Example is a value of f for documentation (the API reference page's
// example bodies): the first of a few candidates for its shape that its
// type and validation accept, else the first candidate. It reads the
// field's capabilities, so a new type gets examples without a change here.
func Example(f *Field) any {
	sh := ShapeOf(f)
	var candidates []any
	switch {
	case sh.Target != "":
		candidates = []any{"RELATED_RECORD_ID"}
	case f.Select != nil && len(f.Select.Values) > 0:
		candidates = []any{f.Select.Values[0]}
	case sh.Scalar == ScalarNumber:
		n := 42.0
		if v := f.Validation; v.Min != nil && *v.Min > n {
			n = *v.Min
		} else if v.Max != nil && *v.Max < n {
			n = *v.Max
		}
		candidates = []any{n}
	case sh.Scalar == ScalarBool:
		candidates = []any{true}
	case sh.Scalar == ScalarDate:
		candidates = []any{"2026-01-31"}
	case sh.Scalar == ScalarDateTime:
		candidates = []any{"2026-01-31T12:00:00.000Z"}
	case sh.Scalar == ScalarJSON:
		candidates = []any{map[string]any{"key": "value"}}
	default:
		candidates = []any{"example " + f.Name, "ada@example.com", "https://example.com", "<p>Hello</p>"}
	}
	wrap := func(v any) any {
		if sh.List {
			return []any{v}
		}
		return v
	}
	for _, c := range candidates {
		in := c
		if n, ok := c.(float64); ok {
			in = json.Number(strconv.FormatFloat(n, 'f', -1, 64)) // as the API decodes numbers
		}
		if _, why := ParseValue(f, wrap(in)); why == "" {
			return wrap(c)
		}
	}
	return wrap(candidates[0])
}
