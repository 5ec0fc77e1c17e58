package collections

import (
	"testing"

	"fastcms/internal/query"
)

func TestSelectField(t *testing.T) {
	one := &Field{Name: "s", Type: "select", Select: &SelectOptions{Values: []string{"red", "green"}}}
	many := &Field{Name: "m", Type: "select", Select: &SelectOptions{Values: []string{"a", "b", "c"}, MaxSelect: 2}}
	checkFacts(t, one, typeFacts{"text", query.KindText, Shape{Scalar: ScalarText, Sortable: true}, "to_json(c)"})
	checkFacts(t, many, typeFacts{"text[]", query.KindMulti, Shape{Scalar: ScalarText, List: true}, "COALESCE(to_json(c), '[]'::json)"})
	checkParse(t, one, []parseCase{
		{"red", "red", ""},
		{"blue", nil, "must be one of red, green"},
		{[]any{"red"}, nil, "must be one of red, green"},
	})
	checkParse(t, many, []parseCase{
		{[]any{"a", "b", "a"}, []string{"a", "b"}, ""}, // duplicates fold
		{[]any{}, []string{}, ""},
		{[]any{"a", "b", "c"}, nil, "must have at most 2 values"},
		{[]any{"x"}, nil, "must be one of a, b, c"},
		{"a", nil, "must be a list of values"},
	})
	checkDefine(t, []struct {
		f           *Field
		member, why string
	}{
		{one, "", ""},
		{&Field{Type: "select"}, "select.values", "must list the allowed values"},
		{&Field{Type: "select", Select: &SelectOptions{Values: []string{""}}}, "select.values", "must be 1 to 255 characters each"},
		{&Field{Type: "select", Select: &SelectOptions{Values: []string{"a"}, MaxSelect: 2}}, "select.max_select", "must be between 0 and the number of values"},
	})
}
