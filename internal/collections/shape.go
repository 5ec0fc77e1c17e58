package collections

import "fastcms/internal/query"

// Scalar is the protocol-neutral kind of a field's values. Adapters map it
// once to their own types: GraphQL to its scalars, CSV to a cell codec.
type Scalar int

// The scalars.
const (
	ScalarText     Scalar = iota // UTF-8 text
	ScalarNumber                 // a finite float64
	ScalarBool                   // true or false
	ScalarDate                   // a calendar date, 2006-01-02
	ScalarDateTime               // an instant, RFC 3339 in UTC
	ScalarJSON                   // any JSON value
	ScalarID                     // a record id (relations)
)

// Shape is what every protocol needs to know about a field's values.
type Shape struct {
	Scalar Scalar
	// List: the field holds a list of values (multi select, multi relation).
	List bool
	// Target is the id of the related collection (relations only).
	Target string
	// Sortable: records can be ordered by the field.
	Sortable bool
	// Searchable: the field's text goes into the full-text search column
	// (hidden fields never do).
	Searchable bool
	// Numeric: sum, avg and increments apply.
	Numeric bool
}

// Shaper is implemented by field types whose shape is not the default one
// derived from their query.Kind (see ShapeOf).
type Shaper interface {
	Shape(f *Field) Shape
}

// ShapeOf returns the shape of field f: its type's own, or the default of
// its query kind. Scalars sort and numbers are numeric by default; lists
// and JSON do not sort.
func ShapeOf(f *Field) Shape {
	t := TypeOf(f)
	if s, ok := t.(Shaper); ok {
		return s.Shape(f)
	}
	var s Shape
	switch t.Kind(f) {
	case query.KindNumber:
		s = Shape{Scalar: ScalarNumber, Numeric: true}
	case query.KindBool:
		s = Shape{Scalar: ScalarBool}
	case query.KindDate:
		s = Shape{Scalar: ScalarDate}
	case query.KindDateTime:
		s = Shape{Scalar: ScalarDateTime}
	case query.KindJSON:
		return Shape{Scalar: ScalarJSON}
	case query.KindMulti:
		return Shape{Scalar: ScalarText, List: true}
	}
	s.Sortable = true
	return s
}
