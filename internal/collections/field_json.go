package collections

import (
	"encoding/json"

	"fastcms/internal/query"
)

// jsonType is any JSON value, stored as jsonb.
type jsonType struct{}

func (jsonType) Column(*Field) string   { return "jsonb" }
func (jsonType) Kind(*Field) query.Kind { return query.KindJSON }
func (jsonType) Parse(_ *Field, v any) (any, string) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, "must be JSON"
	}
	return JSONValue(b), ""
}
func (jsonType) JSON(_ *Field, col string) string   { return col + "::json" }
func (jsonType) Define(*Field) (member, why string) { return "", "" }

// JSONValue is encoded JSON bound as text, which PostgreSQL casts to the
// jsonb column (bytes would be sent as bytea).
type JSONValue string
