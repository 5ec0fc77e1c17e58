package collections

import (
	"testing"

	"fastcms/internal/query"
)

func TestRelationField(t *testing.T) {
	const id1, id2 = "6f1e4c2a-8d3b-4c5e-9f7a-1b2c3d4e5f60", "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
	one := &Field{Name: "r", Type: "relation", Relation: &RelationOptions{Collection: "people", CollectionID: "p1"}}
	many := &Field{Name: "rs", Type: "relation", Relation: &RelationOptions{Collection: "people", CollectionID: "p1", MaxSelect: 2}}
	checkFacts(t, one, typeFacts{"uuid", query.KindRelation, Shape{Scalar: ScalarID, Target: "p1"}, "to_json(c)"})
	checkFacts(t, many, typeFacts{"uuid[]", query.KindMulti, Shape{Scalar: ScalarID, List: true, Target: "p1"}, "COALESCE(to_json(c), '[]'::json)"})
	checkParse(t, one, []parseCase{
		{id1, id1, ""},
		{"not-an-id", nil, "must be a record id"},
		{[]any{id1}, nil, "must be a record id"},
	})
	checkParse(t, many, []parseCase{
		{[]any{id1, id2, id1}, []string{id1, id2}, ""},
		{[]any{id1, "x"}, nil, "must be a list of record ids"},
		{[]any{id1, id2, "6f1e4c2a-8d3b-4c5e-9f7a-1b2c3d4e5f61"}, nil, "must have at most 2 ids"},
	})
	checkDefine(t, []struct {
		f           *Field
		member, why string
	}{
		{one, "", ""},
		{&Field{Type: "relation"}, "relation.collection", "must name the related collection"},
		{&Field{Type: "relation", Relation: &RelationOptions{Collection: "p", MaxSelect: -1}}, "relation.max_select", "must not be negative"},
	})
}
