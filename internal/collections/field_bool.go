package collections

import "fastcms/internal/query"

// boolType is a boolean column.
type boolType struct{}

func (boolType) Column(*Field) string   { return "boolean" }
func (boolType) Kind(*Field) query.Kind { return query.KindBool }
func (boolType) Parse(_ *Field, v any) (any, string) {
	b, ok := v.(bool)
	if !ok {
		return nil, "must be true or false"
	}
	return b, ""
}
func (boolType) JSON(_ *Field, col string) string   { return plainJSON(col) }
func (boolType) Define(*Field) (member, why string) { return "", "" }
