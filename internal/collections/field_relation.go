package collections

import (
	"fmt"

	"fastcms/internal/ids"
	"fastcms/internal/query"
)

// relationType points at records of another collection: one (a uuid column
// with a foreign key) or, with max_select above 1, several (a uuid[] column
// whose ids are checked on write and cleaned up by a trigger on delete).
type relationType struct{}

func (relationType) Column(f *Field) string {
	if f.Multi() {
		return "uuid[]"
	}
	return "uuid"
}

func (relationType) Kind(f *Field) query.Kind {
	if f.Multi() {
		return query.KindMulti
	}
	return query.KindRelation
}

func (relationType) Parse(f *Field, v any) (any, string) {
	if !f.Multi() {
		s, ok := v.(string)
		if !ok || !IsUUID(s) {
			return nil, "must be a record id"
		}
		return s, ""
	}
	items, ok := v.([]any)
	if !ok {
		return nil, "must be a list of record ids"
	}
	out := make([]string, 0, len(items))
	for _, it := range items {
		s, ok := it.(string)
		if !ok || !IsUUID(s) {
			return nil, "must be a list of record ids"
		}
		if !contains(out, s) {
			out = append(out, s)
		}
	}
	if len(out) > f.Relation.MaxSelect {
		return nil, fmt.Sprintf("must have at most %d ids", f.Relation.MaxSelect)
	}
	return out, ""
}

func (relationType) JSON(f *Field, col string) string {
	if f.Multi() {
		return "COALESCE(to_json(" + col + "), '[]'::json)"
	}
	return plainJSON(col)
}

func (relationType) Define(f *Field) (member, why string) {
	if f.Relation == nil || f.Relation.Collection == "" {
		return "relation.collection", "must name the related collection"
	}
	if f.Relation.MaxSelect < 0 {
		return "relation.max_select", "must not be negative"
	}
	return "", ""
}

// IsUUID is ids.IsUUID, for callers that already speak in collections.
func IsUUID(s string) bool { return ids.IsUUID(s) }

// Shape: record ids into the related collection. Relations do not sort
// (Hasura orders by a related record's fields, not by its id).
func (relationType) Shape(f *Field) Shape {
	return Shape{Scalar: ScalarID, List: f.Multi(), Target: f.Relation.CollectionID}
}
