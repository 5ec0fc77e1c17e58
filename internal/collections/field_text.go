package collections

import "fastcms/internal/query"

// textType is plain text and editor (rich text) fields: a text column.
type textType struct{}

func (textType) Column(*Field) string                { return "text" }
func (textType) Kind(*Field) query.Kind              { return query.KindText }
func (textType) Parse(f *Field, v any) (any, string) { return textual(f, v) }
func (textType) JSON(_ *Field, col string) string    { return plainJSON(col) }
func (textType) Define(*Field) (member, why string)  { return "", "" }
