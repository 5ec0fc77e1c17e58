package collections

import "fastcms/internal/query"

// fileType holds the id of an uploaded file (see the files API) as text.
type fileType struct{}

func (fileType) Column(*Field) string   { return "text" }
func (fileType) Kind(*Field) query.Kind { return query.KindText }
func (fileType) Parse(_ *Field, v any) (any, string) {
	s, ok := v.(string)
	if !ok || len(s) > 255 {
		return nil, "must be a file id"
	}
	return s, ""
}
func (fileType) JSON(_ *Field, col string) string   { return plainJSON(col) }
func (fileType) Define(*Field) (member, why string) { return "", "" }
