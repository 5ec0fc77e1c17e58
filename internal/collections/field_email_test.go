package collections

import (
	"testing"

	"fastcms/internal/query"
)

func TestEmailField(t *testing.T) {
	f := &Field{Name: "m", Type: "email"}
	checkFacts(t, f, typeFacts{"text", query.KindText, Shape{Scalar: ScalarText, Sortable: true, Searchable: true}, "to_json(c)"})
	checkParse(t, f, []parseCase{
		{"a@b.io", "a@b.io", ""},
		{"", "", ""},
		{"a@b", nil, "must be a valid email address"},
		{"Ann <a@b.io>", nil, "must be a valid email address"},
		{"no", nil, "must be a valid email address"},
		{true, nil, "must be a string"},
	})
}
