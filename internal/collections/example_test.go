package collections

import (
	"reflect"
	"testing"
)

// Example gives a value each type accepts, within the field's bounds.
func TestExample(t *testing.T) {
	ten, hundred := 10.0, 100.0
	for _, tc := range []struct {
		f    Field
		want any
	}{
		{Field{Name: "title", Type: "text"}, "example title"},
		{Field{Name: "body", Type: "editor"}, "example body"},
		{Field{Name: "mail", Type: "email"}, "ada@example.com"},
		{Field{Name: "site", Type: "url"}, "https://example.com"},
		{Field{Name: "n", Type: "number"}, 42.0},
		{Field{Name: "n", Type: "number", Validation: Validation{Max: &ten}}, 10.0},
		{Field{Name: "n", Type: "number", Validation: Validation{Min: &hundred}}, 100.0},
		{Field{Name: "ok", Type: "bool"}, true},
		{Field{Name: "day", Type: "date"}, "2026-01-31"},
		{Field{Name: "at", Type: "datetime"}, "2026-01-31T12:00:00.000Z"},
		{Field{Name: "meta", Type: "json"}, map[string]any{"key": "value"}},
		{Field{Name: "tag", Type: "select", Select: &SelectOptions{Values: []string{"a", "b"}}}, "a"},
		{Field{Name: "tags", Type: "select", Select: &SelectOptions{Values: []string{"a", "b"}, MaxSelect: 2}}, []any{"a"}},
		{Field{Name: "author", Type: "relation", Relation: &RelationOptions{Collection: "users", CollectionID: "u"}}, "RELATED_RECORD_ID"},
		{Field{Name: "authors", Type: "relation", Relation: &RelationOptions{Collection: "users", CollectionID: "u", MaxSelect: 3}}, []any{"RELATED_RECORD_ID"}},
	} {
		if got := Example(&tc.f); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s %s: %#v, want %#v", tc.f.Type, tc.f.Name, got, tc.want)
		}
	}
}
