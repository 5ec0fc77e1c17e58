// Package timefmt is the one timestamp format of both APIs: RFC 3339 in UTC
// with milliseconds, e.g. 2026-11-24T10:00:00.123Z.
package timefmt

import "time"

// Layout is the format of every timestamp the APIs write.
const Layout = "2006-01-02T15:04:05.000Z07:00"

// Format renders t in Layout, in UTC.
func Format(t time.Time) string { return t.UTC().Format(Layout) }
