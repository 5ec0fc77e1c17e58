// Package model holds the GraphQL types of the static schema (generated in
// models_gen.go) and the marshalers of its custom scalars.
package model

import (
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/99designs/gqlgen/graphql"

	"fastcms/internal/timefmt"
)

// MarshalTimestamptz writes a time in the APIs' one timestamp format.
func MarshalTimestamptz(t time.Time) graphql.Marshaler {
	return graphql.WriterFunc(func(w io.Writer) {
		io.WriteString(w, strconv.Quote(timefmt.Format(t))) //nolint:errcheck // gqlgen's writer reports errors itself
	})
}

// UnmarshalTimestamptz reads an RFC 3339 timestamp.
func UnmarshalTimestamptz(v any) (time.Time, error) {
	s, ok := v.(string)
	if !ok {
		return time.Time{}, fmt.Errorf("timestamptz must be an RFC 3339 string")
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("timestamptz must be RFC 3339: %w", err)
	}
	return t, nil
}

// DynamicResult is the JSON of a collection field, built by PostgreSQL and
// written to the response as is. nil is GraphQL null.
type DynamicResult []byte

// MarshalDynamicResult writes the bytes untouched; nil gives gqlgen's null
// sentinel, so null propagation sees a null.
func MarshalDynamicResult(v DynamicResult) graphql.Marshaler {
	if v == nil {
		return graphql.Null
	}
	return graphql.WriterFunc(func(w io.Writer) {
		w.Write(v) //nolint:errcheck // gqlgen's writer reports errors itself
	})
}

// UnmarshalDynamicResult refuses input: the carrier is never an argument.
func UnmarshalDynamicResult(any) (DynamicResult, error) {
	return nil, fmt.Errorf("DynamicResult is an output type")
}
