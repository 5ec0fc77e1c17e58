package collections

import (
	"time"

	"fastcms/internal/query"
)

// dateType is a calendar date, written and read as 2006-01-02.
type dateType struct{}

func (dateType) Column(*Field) string   { return "date" }
func (dateType) Kind(*Field) query.Kind { return query.KindDate }
func (dateType) Parse(_ *Field, v any) (any, string) {
	s, ok := v.(string)
	if !ok {
		return nil, "must be a date like 2026-11-24"
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return nil, "must be a date like 2026-11-24"
	}
	return t.Format(time.DateOnly), ""
}
func (dateType) JSON(_ *Field, col string) string {
	return "to_json(to_char(" + col + `, 'YYYY-MM-DD'))`
}
func (dateType) Define(*Field) (member, why string) { return "", "" }
