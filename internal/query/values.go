package query

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// domain is the type a comparison is carried out in. Both back ends
// normalise values to the same Go representation per domain and share
// compare, which is what keeps SQL and Eval answers identical:
//
//	dText      string (byte order, like COLLATE "C")
//	dNumber    float64
//	dBool      bool
//	dDate      time.Time at 00:00 UTC
//	dDateTime  time.Time in UTC, microsecond precision
//	dJSON      any (only null checks are allowed)
type domain int

const (
	dText domain = iota
	dNumber
	dBool
	dDate
	dDateTime
	dJSON
)

var domainNames = [...]string{"text", "number", "bool", "date", "datetime", "json"}

func (d domain) String() string { return domainNames[d] }

// kindDomain is the domain of a field's values (of its elements for KindMulti).
func kindDomain(k Kind) domain {
	switch k {
	case KindNumber:
		return dNumber
	case KindBool:
		return dBool
	case KindDate:
		return dDate
	case KindDateTime:
		return dDateTime
	case KindJSON:
		return dJSON
	}
	return dText
}

// isUUIDKind reports whether the SQL values of a field of kind k (its
// elements for multi) are uuid and need a ::text cast to compare as text.
func isUUIDKind(f Field) bool {
	return f.Kind == KindUUID || f.Kind == KindRelation || (f.Kind == KindMulti && f.Target != nil)
}

// compare is THE definition of every operator; nil is NULL. It is two-valued:
//
//	=   true if both are NULL or both are equal
//	!=  exactly the negation of =
//	~   true if both are non-NULL and a contains b, ignoring case
//	!~  exactly the negation of ~ (so a NULL column does "not contain" anything)
//	> >= < <=  true only if both are non-NULL and the order holds
func compare(op Op, d domain, a, b any) bool {
	switch op {
	case Eq:
		if a == nil || b == nil {
			return a == nil && b == nil
		}
		return order(d, a, b) == 0
	case Neq:
		return !compare(Eq, d, a, b)
	case Like:
		if a == nil || b == nil {
			return false
		}
		return strings.Contains(strings.ToLower(a.(string)), strings.ToLower(b.(string)))
	case NotLike:
		return !compare(Like, d, a, b)
	}
	if a == nil || b == nil {
		return false
	}
	c := order(d, a, b)
	switch op {
	case Gt:
		return c > 0
	case Gte:
		return c >= 0
	case Lt:
		return c < 0
	}
	return c <= 0
}

// order compares two non-nil normalised values of domain d like PostgreSQL does.
func order(d domain, a, b any) int {
	switch d {
	case dNumber:
		return orderFloat(a.(float64), b.(float64))
	case dBool:
		x, y := a.(bool), b.(bool)
		switch {
		case x == y:
			return 0
		case y:
			return -1
		}
		return 1
	case dDate, dDateTime:
		return a.(time.Time).Compare(b.(time.Time))
	case dText:
		return strings.Compare(a.(string), b.(string))
	}
	return 0 // dJSON: never ordered (rejected by bind)
}

// orderFloat follows PostgreSQL: NaN equals NaN and sorts above everything.
func orderFloat(x, y float64) int {
	xn, yn := math.IsNaN(x), math.IsNaN(y)
	switch {
	case xn || yn:
		if xn && yn {
			return 0
		} else if xn {
			return 1
		}
		return -1
	case x < y:
		return -1
	case x > y:
		return 1
	}
	return 0
}

// coerce converts a constant (literal, macro or request value) to domain d.
// It is lenient where the intent is clear (numbers and bools given as
// strings, numbers used as text) and fails otherwise; the message is
// wrapped with a position by the caller.
func coerce(v any, d domain) (any, string) {
	if v == nil {
		return nil, ""
	}
	if f, ok := toFloat(v); ok {
		v = f
	}
	switch d {
	case dText:
		switch x := v.(type) {
		case string:
			return x, ""
		case float64:
			return strconv.FormatFloat(x, 'f', -1, 64), ""
		case bool:
			return strconv.FormatBool(x), ""
		}
	case dNumber:
		switch x := v.(type) {
		case float64:
			if math.IsNaN(x) || math.IsInf(x, 0) {
				return nil, "number must be finite"
			}
			return x, ""
		case string:
			f, err := strconv.ParseFloat(x, 64)
			if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
				return nil, fmt.Sprintf("invalid number %q", x)
			}
			return f, ""
		}
	case dBool:
		switch x := v.(type) {
		case bool:
			return x, ""
		case string:
			if x == "true" || x == "false" {
				return x == "true", ""
			}
			return nil, fmt.Sprintf("invalid bool %q (want true or false)", x)
		}
	case dDate, dDateTime:
		var t time.Time
		switch x := v.(type) {
		case time.Time:
			t = x
		case string:
			var ok bool
			if t, ok = parseTime(x); !ok {
				return nil, fmt.Sprintf("invalid date %q (want e.g. 2006-01-02 or 2006-01-02 15:04:05Z)", x)
			}
		default:
			return nil, fmt.Sprintf("cannot use %s as a %s", describe(v), d)
		}
		if t.Year() < 1 || t.Year() > 9999 {
			return nil, "date out of range (years 1 to 9999)"
		}
		if d == dDate {
			return utcDate(t), ""
		}
		return t.UTC().Truncate(time.Microsecond), ""
	}
	return nil, fmt.Sprintf("cannot use %s as %s", describe(v), d)
}

// describe names a constant for error messages.
func describe(v any) string {
	switch x := v.(type) {
	case string:
		return strconv.Quote(x)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case time.Time:
		return "date " + x.UTC().Format(time.RFC3339Nano)
	}
	return fmt.Sprint(v)
}

// toFloat converts any Go number to float64.
func toFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case float32:
		return float64(x), true
	case int:
		return float64(x), true
	case int8:
		return float64(x), true
	case int16:
		return float64(x), true
	case int32:
		return float64(x), true
	case int64:
		return float64(x), true
	case uint:
		return float64(x), true
	case uint8:
		return float64(x), true
	case uint16:
		return float64(x), true
	case uint32:
		return float64(x), true
	case uint64:
		return float64(x), true
	}
	return 0, false
}

// timeLayouts are accepted for date/datetime strings; without a zone, UTC is assumed.
var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999",
	time.DateOnly,
}

func parseTime(s string) (time.Time, bool) {
	for _, l := range timeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// utcDate reduces an instant to its UTC calendar date.
func utcDate(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// isCanonicalUUID reports whether s is how PostgreSQL prints a uuid
// (lowercase 8-4-4-4-12 hex), i.e. whether comparing as uuid and as text agree.
func isCanonicalUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !isDigit(c) && (c < 'a' || c > 'f') {
				return false
			}
		}
	}
	return true
}
