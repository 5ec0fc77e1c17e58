package records

import (
	"errors"
	"strings"
	"time"

	"github.com/lib/pq"

	"fastcms/internal/apierr"
	"fastcms/internal/collections"
)

// A value a client sends can make PostgreSQL fail: a date it cannot read,
// a number out of range, a NUL character in text or JSON. Such a failure is
// the client's, so it is reported as a client error naming the part of
// the plan the value was in (PartError; GraphQL: BAD_USER_INPUT naming the
// argument), never as an internal error. Values are checked in Go
// where the argument could not be told from the database's error (cursors,
// mutation values); what remains of a read's data errors comes from where.

// inputError turns a data error of PostgreSQL (SQLSTATE class 22, data
// exception, or 54, a value too large to work with) into a client error
// about part p at path at (as PartError's texts name parts; "" for p
// itself); any other error is returned as it is.
func inputError(err error, p Part, at string) error {
	if msg, ok := dataError(err); ok {
		if at == "" {
			at = "{" + string(p) + "}"
		}
		return &PartError{Part: p, Text: at + ": ", Detail: msg}
	}
	return err
}

// dataError is the message of a data error of PostgreSQL (see inputError).
func dataError(err error) (string, bool) {
	var pqErr *pq.Error
	if errors.As(err, &pqErr) && (strings.HasPrefix(string(pqErr.Code), "22") || strings.HasPrefix(string(pqErr.Code), "54")) {
		return pqErr.Message, true
	}
	return "", false
}

// noNUL refuses mutation data holding a NUL character in any text, JSON
// string or JSON key (PostgreSQL stores none), naming the field.
func noNUL(data map[string]any) error {
	for k, v := range data {
		if hasNUL(v) {
			return apierr.InvalidField(strings.TrimRight(k, "+-"), "must not contain NUL characters")
		}
	}
	return nil
}

func hasNUL(v any) bool {
	switch x := v.(type) {
	case string:
		return strings.ContainsRune(x, 0)
	case []any:
		for _, e := range x {
			if hasNUL(e) {
				return true
			}
		}
	case map[string]any:
		for k, e := range x {
			if strings.ContainsRune(k, 0) || hasNUL(e) {
				return true
			}
		}
	}
	return false
}

// cursorValue reports whether v (decoded from a cursor's JSON) can be bound
// as a value of sqlType: what PostgreSQL put in the cursor, not a value
// the database would refuse.
func cursorValue(v any, sqlType string) bool {
	if v == nil {
		return true
	}
	switch sqlType {
	case "double precision", "real", "bigint":
		_, ok := v.(float64)
		return ok
	case "boolean":
		_, ok := v.(bool)
		return ok
	}
	s, ok := v.(string)
	if !ok || strings.ContainsRune(s, 0) {
		return false
	}
	switch sqlType {
	case "uuid":
		return collections.IsUUID(s)
	case "timestamptz":
		_, err := time.Parse(time.RFC3339Nano, s)
		return err == nil
	case "date":
		_, err := time.Parse(time.DateOnly, s)
		return err == nil
	}
	return true
}
