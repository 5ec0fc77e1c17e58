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
