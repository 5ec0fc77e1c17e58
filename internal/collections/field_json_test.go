package collections

import (
	"testing"

	"fastcms/internal/query"
)

func TestJSONField(t *testing.T) {
	f := &Field{Name: "j", Type: "json"}
	checkFacts(t, f, typeFacts{"jsonb", query.KindJSON, Shape{Scalar: ScalarJSON}, "c::json"})
	checkParse(t, f, []parseCase{
		{map[string]any{"k": []any{true}}, JSONValue(`{"k":[true]}`), ""},
		{"text", JSONValue(`"text"`), ""},
		{false, JSONValue(`false`), ""},
	})
}

func TestFileField(t *testing.T) {
	f := &Field{Name: "f", Type: "file"}
	checkFacts(t, f, typeFacts{"text", query.KindText, Shape{Scalar: ScalarText, Sortable: true}, "to_json(c)"})
	long := make([]byte, 256)
	for i := range long {
		long[i] = 'a'
	}
	checkParse(t, f, []parseCase{
		{"f1", "f1", ""},
		{string(long), nil, "must be a file id"},
		{1.0, nil, "must be a file id"},
	})
}
