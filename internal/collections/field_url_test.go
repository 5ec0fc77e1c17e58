package collections

import (
	"testing"

	"fastcms/internal/query"
)

func TestURLField(t *testing.T) {
	f := &Field{Name: "u", Type: "url"}
	checkFacts(t, f, typeFacts{"text", query.KindText, Shape{Scalar: ScalarText, Sortable: true, Searchable: true}, "to_json(c)"})
	checkParse(t, f, []parseCase{
		{"https://a.io/x?y", "https://a.io/x?y", ""},
		{"http://a.io", "http://a.io", ""},
		{"ftp://a.io", nil, "must be an absolute http or https URL"},
		{"/relative", nil, "must be an absolute http or https URL"},
		{"https://", nil, "must be an absolute http or https URL"},
	})
}
