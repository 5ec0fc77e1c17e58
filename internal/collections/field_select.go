package collections

import (
	"fmt"
	"strings"

	"fastcms/internal/query"
)

// selectType is one value (text) or, with max_select above 1, several
// (text[]) out of a fixed list.
type selectType struct{}

func (selectType) Column(f *Field) string {
	if f.Multi() {
		return "text[]"
	}
	return "text"
}

func (selectType) Kind(f *Field) query.Kind {
	if f.Multi() {
		return query.KindMulti
	}
	return query.KindText
}

func (selectType) Parse(f *Field, v any) (any, string) {
	allowed := "must be one of " + strings.Join(f.Select.Values, ", ")
	if !f.Multi() {
		s, ok := v.(string)
		if !ok || !contains(f.Select.Values, s) {
			return nil, allowed
		}
		return s, ""
	}
	items, ok := v.([]any)
	if !ok {
		return nil, "must be a list of values"
	}
	out := make([]string, 0, len(items))
	for _, it := range items {
		s, ok := it.(string)
		if !ok || !contains(f.Select.Values, s) {
			return nil, allowed
		}
		if !contains(out, s) {
			out = append(out, s)
		}
	}
	if len(out) > f.Select.MaxSelect {
		return nil, fmt.Sprintf("must have at most %d values", f.Select.MaxSelect)
	}
	return out, ""
}

func (selectType) JSON(f *Field, col string) string {
	if f.Multi() {
		return "COALESCE(to_json(" + col + "), '[]'::json)"
	}
	return plainJSON(col)
}

func (selectType) Define(f *Field) (member, why string) {
	if f.Select == nil || len(f.Select.Values) == 0 {
		return "select.values", "must list the allowed values"
	}
	for _, v := range f.Select.Values {
		if v == "" || len(v) > 255 {
			return "select.values", "must be 1 to 255 characters each"
		}
	}
	if f.Select.MaxSelect < 0 || f.Select.MaxSelect > len(f.Select.Values) {
		return "select.max_select", "must be between 0 and the number of values"
	}
	return "", ""
}
