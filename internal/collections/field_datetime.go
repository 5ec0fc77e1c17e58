package collections

import (
	"time"

	"fastcms/internal/query"
)

// datetimeType is an instant (timestamptz), read in the APIs' one format.
type datetimeType struct{}

func (datetimeType) Column(*Field) string   { return "timestamptz" }
func (datetimeType) Kind(*Field) query.Kind { return query.KindDateTime }
func (datetimeType) Parse(_ *Field, v any) (any, string) {
	s, ok := v.(string)
	if !ok {
		return nil, "must be an RFC 3339 timestamp"
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return nil, "must be an RFC 3339 timestamp"
	}
	return t.UTC(), ""
}
func (datetimeType) JSON(_ *Field, col string) string   { return TimestampJSON(col) }
func (datetimeType) Define(*Field) (member, why string) { return "", "" }

// TimestampJSON renders a timestamptz expression in the format of
// internal/timefmt, inside PostgreSQL.
func TimestampJSON(col string) string {
	return "to_json(to_char(" + col + ` AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))`
}
