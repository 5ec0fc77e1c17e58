// Package opt tells "absent" from "null" in partial updates: a PATCH that
// omits a rule leaves it, one that sends null sets it to null.
package opt

import "encoding/json"

// Value is a JSON member that may be absent (Set false), null or a value.
type Value[T any] struct {
	Set bool
	V   T
}

// UnmarshalJSON runs only for members present in the input, null included.
func (o *Value[T]) UnmarshalJSON(b []byte) error {
	o.Set = true
	return json.Unmarshal(b, &o.V)
}

// Some is a present value.
func Some[T any](v T) Value[T] { return Value[T]{Set: true, V: v} }
