package collections

import (
	"testing"

	"fastcms/internal/query"
)

func TestTextField(t *testing.T) {
	f := &Field{Name: "t", Type: "text", Validation: Validation{MinLength: ptr(2), MaxLength: ptr(4), Pattern: "[a-zé]+"}}
	checkFacts(t, f, typeFacts{"text", query.KindText, Shape{Scalar: ScalarText, Sortable: true, Searchable: true}, "to_json(c)"})
	checkFacts(t, &Field{Name: "e", Type: "editor"}, typeFacts{"text", query.KindText, Shape{Scalar: ScalarText, Sortable: true, Searchable: true}, "to_json(c)"})
	checkParse(t, f, []parseCase{
		{"abc", "abc", ""},
		{"été", "été", ""}, // lengths count characters
		{"", "", ""},       // empty text is not checked against the minimum
		{"a", nil, "must be at least 2 characters"},
		{"abcde", nil, "must be at most 4 characters"},
		{"AB", nil, "does not match the pattern [a-zé]+"},
		{3.0, nil, "must be a string"},
		{"a\x00b", nil, "must be valid UTF-8 text without NUL characters"},
		{nil, nil, ""},
	})
	checkParse(t, &Field{Type: "text", Validation: Validation{Required: true, Values: []string{"x", "y"}}}, []parseCase{
		{"x", "x", ""},
		{"z", nil, "must be one of x, y"},
		{"", nil, "is required"},
		{nil, nil, "is required"},
	})
	checkDefine(t, []struct {
		f           *Field
		member, why string
	}{{&Field{Type: "text"}, "", ""}})
}
