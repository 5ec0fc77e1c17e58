package collections

import (
	"strconv"

	"fastcms/internal/query"
)

// numberType is a finite double precision number.
type numberType struct{}

func (numberType) Column(*Field) string   { return "double precision" }
func (numberType) Kind(*Field) query.Kind { return query.KindNumber }
func (numberType) Parse(f *Field, v any) (any, string) {
	x, ok := number(v)
	if !ok {
		return nil, "must be a finite number"
	}
	if f.Validation.Min != nil && x < *f.Validation.Min {
		return nil, "must be at least " + strconv.FormatFloat(*f.Validation.Min, 'g', -1, 64)
	}
	if f.Validation.Max != nil && x > *f.Validation.Max {
		return nil, "must be at most " + strconv.FormatFloat(*f.Validation.Max, 'g', -1, 64)
	}
	return x, ""
}
func (numberType) JSON(_ *Field, col string) string { return plainJSON(col) }
func (numberType) Define(f *Field) (member, why string) {
	if v := f.Validation; v.Min != nil && v.Max != nil && *v.Min > *v.Max {
		return "validation.min", "must not exceed validation.max"
	}
	return "", ""
}
