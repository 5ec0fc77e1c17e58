package collections

import (
	"testing"
	"time"

	"fastcms/internal/query"
)

func TestDateField(t *testing.T) {
	f := &Field{Name: "d", Type: "date"}
	checkFacts(t, f, typeFacts{"date", query.KindDate, Shape{Scalar: ScalarDate, Sortable: true}, "to_json(to_char(c, 'YYYY-MM-DD'))"})
	checkParse(t, f, []parseCase{
		{"2026-11-24", "2026-11-24", ""},
		{"2026-02-30", nil, "must be a date like 2026-11-24"},
		{"2026-11-24T10:00:00Z", nil, "must be a date like 2026-11-24"},
		{20261124.0, nil, "must be a date like 2026-11-24"},
	})
}

func TestDatetimeField(t *testing.T) {
	f := &Field{Name: "at", Type: "datetime"}
	checkFacts(t, f, typeFacts{"timestamptz", query.KindDateTime, Shape{Scalar: ScalarDateTime, Sortable: true},
		`to_json(to_char(c AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))`})
	checkParse(t, f, []parseCase{
		{"2026-11-24T10:00:00+02:00", time.Date(2026, 11, 24, 8, 0, 0, 0, time.UTC), ""},
		{"2026-11-24T10:00:00.123456Z", time.Date(2026, 11, 24, 10, 0, 0, 123456000, time.UTC), ""},
		{"2026-11-24", nil, "must be an RFC 3339 timestamp"},
		{"yesterday", nil, "must be an RFC 3339 timestamp"},
	})
}
