package collections

import (
	"testing"

	"fastcms/internal/query"
)

func TestNumberField(t *testing.T) {
	f := &Field{Name: "n", Type: "number", Validation: Validation{Min: ptr(-1.0), Max: ptr(10.0)}}
	checkFacts(t, f, typeFacts{"double precision", query.KindNumber, Shape{Scalar: ScalarNumber, Sortable: true, Numeric: true}, "to_json(c)"})
	checkParse(t, f, []parseCase{
		{2.5, 2.5, ""},
		{-1.0, -1.0, ""},
		{10.0, 10.0, ""},
		{10.5, nil, "must be at most 10"},
		{-2.0, nil, "must be at least -1"},
		{"3", nil, "must be a finite number"},
		{nil, nil, ""},
	})
	checkDefine(t, []struct {
		f           *Field
		member, why string
	}{
		{f, "", ""},
		{&Field{Type: "number", Validation: Validation{Min: ptr(2.0), Max: ptr(1.0)}}, "validation.min", "must not exceed validation.max"},
	})
}
