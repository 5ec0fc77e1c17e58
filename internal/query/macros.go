package query

import "time"

// macros computes each date macro from the UTC reference time (see the
// package documentation for the list).
var macros = map[string]func(now time.Time) time.Time{
	"now":        func(n time.Time) time.Time { return n },
	"today":      func(n time.Time) time.Time { return day(n, 0) },
	"todayStart": func(n time.Time) time.Time { return day(n, 0) },
	"todayEnd":   func(n time.Time) time.Time { return day(n, 1).Add(-time.Microsecond) },
	"yesterday":  func(n time.Time) time.Time { return day(n, -1) },
	"tomorrow":   func(n time.Time) time.Time { return day(n, 1) },
	"monthStart": func(n time.Time) time.Time { return month(n, 0) },
	"monthEnd":   func(n time.Time) time.Time { return month(n, 1).Add(-time.Microsecond) },
	"yearStart":  func(n time.Time) time.Time { return time.Date(n.Year(), 1, 1, 0, 0, 0, 0, time.UTC) },
	"yearEnd": func(n time.Time) time.Time {
		return time.Date(n.Year()+1, 1, 1, 0, 0, 0, 0, time.UTC).Add(-time.Microsecond)
	},
}

func isMacro(name string) bool { _, ok := macros[name]; return ok }

// macroValue resolves a macro against now (which may be in any zone).
func macroValue(name string, now time.Time) time.Time {
	return macros[name](now.UTC().Truncate(time.Microsecond))
}

func day(n time.Time, offset int) time.Time {
	return time.Date(n.Year(), n.Month(), n.Day()+offset, 0, 0, 0, 0, time.UTC)
}

func month(n time.Time, offset int) time.Time {
	return time.Date(n.Year(), n.Month()+time.Month(offset), 1, 0, 0, 0, 0, time.UTC)
}
