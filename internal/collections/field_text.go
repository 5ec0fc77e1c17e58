package collections

import "fastcms/internal/query"

// textType is plain text and editor (rich text) fields: a text column.
type textType struct{}

func (textType) Column(*Field) string                { return "text" }
func (textType) Kind(*Field) query.Kind              { return query.KindText }
func (textType) Parse(f *Field, v any) (any, string) { return textual(f, v) }
func (textType) JSON(_ *Field, col string) string    { return plainJSON(col) }
func (textType) Define(*Field) (member, why string)  { return "", "" }

// Shape: sortable, searchable text.
func (textType) Shape(*Field) Shape { return searchableText }

// searchableText is the shape of the text types that go into search.
var searchableText = Shape{Scalar: ScalarText, Sortable: true, Searchable: true}
