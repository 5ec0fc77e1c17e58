package collections

import (
	"testing"

	"fastcms/internal/query"
)

func TestBoolField(t *testing.T) {
	f := &Field{Name: "b", Type: "bool", Validation: Validation{Required: true}}
	checkFacts(t, f, typeFacts{"boolean", query.KindBool, Shape{Scalar: ScalarBool, Sortable: true}, "to_json(c)"})
	checkParse(t, f, []parseCase{
		{true, true, ""},
		{false, false, ""}, // false is a value: required holds
		{"true", nil, "must be true or false"},
		{1.0, nil, "must be true or false"},
		{nil, nil, "is required"},
	})
}
