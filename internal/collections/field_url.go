package collections

import (
	"net/url"

	"fastcms/internal/query"
)

// urlType is an absolute http(s) URL in a text column.
type urlType struct{}

func (urlType) Column(*Field) string   { return "text" }
func (urlType) Kind(*Field) query.Kind { return query.KindText }
func (urlType) Parse(f *Field, v any) (any, string) {
	s, why := textual(f, v)
	if why != "" || s == "" {
		return s, why
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, "must be an absolute http or https URL"
	}
	return s, ""
}
func (urlType) JSON(_ *Field, col string) string   { return plainJSON(col) }
func (urlType) Define(*Field) (member, why string) { return "", "" }

// Shape: sortable, searchable text.
func (urlType) Shape(*Field) Shape { return searchableText }
