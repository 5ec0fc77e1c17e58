package collections

import (
	"encoding/json"
	"reflect"
	"testing"

	"fastcms/internal/query"
)

// typeFacts is what a field type says about one field definition.
type typeFacts struct {
	column string
	kind   query.Kind
	shape  Shape
	json   string // JSON("c")
}

// parseCase is one input value and what ParseValue makes of it.
type parseCase struct {
	in   any
	want any
	why  string
}

// checkFacts compares a field's column, kind, shape and JSON rendering.
func checkFacts(t *testing.T, f *Field, want typeFacts) {
	t.Helper()
	typ := TypeOf(f)
	got := typeFacts{typ.Column(f), typ.Kind(f), ShapeOf(f), typ.JSON(f, "c")}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s field %+v: got %+v, want %+v", f.Type, f, got, want)
	}
}

// checkParse runs ParseValue over cases (inputs as JSON decoding with
// UseNumber gives them).
func checkParse(t *testing.T, f *Field, cases []parseCase) {
	t.Helper()
	for _, c := range cases {
		in := c.in
		if s, ok := in.(float64); ok {
			in = json.Number(jsonNumber(s))
		}
		got, why := ParseValue(f, in)
		if why != c.why || (why == "" && !reflect.DeepEqual(got, c.want)) {
			t.Errorf("%s: ParseValue(%#v) = %#v, %q; want %#v, %q", f.Type, c.in, got, why, c.want, c.why)
		}
	}
}

func jsonNumber(f float64) string {
	b, _ := json.Marshal(f)
	return string(b)
}

// checkDefine runs Define over field definitions and the member and reason
// each must be refused with ("" for a valid one).
func checkDefine(t *testing.T, cases []struct {
	f           *Field
	member, why string
}) {
	t.Helper()
	for _, c := range cases {
		member, why := TypeOf(c.f).Define(c.f)
		if member != c.member || why != c.why {
			t.Errorf("Define(%+v) = %q, %q; want %q, %q", c.f, member, why, c.member, c.why)
		}
	}
}

func ptr[T any](v T) *T { return &v }
