package collections

import (
	"net/mail"
	"strings"

	"fastcms/internal/query"
)

// emailType is an email address in a text column.
type emailType struct{}

func (emailType) Column(*Field) string   { return "text" }
func (emailType) Kind(*Field) query.Kind { return query.KindText }
func (emailType) Parse(f *Field, v any) (any, string) {
	s, why := textual(f, v)
	if why != "" || s == "" {
		return s, why
	}
	addr, err := mail.ParseAddress(s)
	if err != nil || addr.Address != s || !strings.Contains(s[strings.LastIndexByte(s, '@'):], ".") {
		return nil, "must be a valid email address"
	}
	return s, ""
}
func (emailType) JSON(_ *Field, col string) string   { return plainJSON(col) }
func (emailType) Define(*Field) (member, why string) { return "", "" }

// Shape: sortable, searchable text.
func (emailType) Shape(*Field) Shape { return searchableText }
