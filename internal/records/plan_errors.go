package records

import (
	"errors"
	"strings"

	"fastcms/internal/apierr"
)

// Errors about a plan name its parts neutrally, by the Op or Rows field
// they concern; each adapter names them as its API does (graph: where,
// order_by, objects, _set…; REST: filter, sort…) with Named, so the
// renderer and the writes speak no protocol's terms.

// Part is a part of a plan that a client gave.
type Part string

// The parts of a read plan.
const (
	PartWhere    Part = "where"
	PartOrder    Part = "order"
	PartDistinct Part = "distinct"
	PartLimit    Part = "limit"
	PartOffset   Part = "offset"
	PartFirst    Part = "first"
	PartLast     Part = "last"
	PartAfter    Part = "after"
	PartBefore   Part = "before"
)

// The parts of a write (Op's write fields).
const (
	PartObject  Part = "object"  // Objects[0] of InsertOne
	PartObjects Part = "objects" // Objects of Insert
	PartSet     Part = "set"     // Set
	PartInc     Part = "inc"     // Inc
	PartUpdates Part = "updates" // Updates of UpdateMany
	PartAtMost  Part = "at_most" // AtMost
)

// parts are all parts, for Named.
var parts = []Part{PartWhere, PartOrder, PartDistinct, PartLimit, PartOffset, PartFirst, PartLast, PartAfter, PartBefore,
	PartObject, PartObjects, PartSet, PartInc, PartUpdates, PartAtMost}

// PartError is a client mistake in a part of a plan (a 400). Text says
// what is wrong, naming parts as {where}, {order}…; Detail, appended as
// is, is what the database or the filter language said. With Fields it
// is a validation failure (a 422, as apierr.Invalid) of the fields named
// by its keys, which name parts the same way ({objects}.0.title).
type PartError struct {
	Part   Part
	Text   string
	Detail string
	Fields map[string]string
}

func partError(p Part, text string) *PartError { return &PartError{Part: p, Text: text} }

func (e *PartError) Error() string { return e.Named(nil).Message }

// Named is the error as the API answers it, each part called by its name
// in names (its neutral name when absent).
func (e *PartError) Named(names map[Part]string) *apierr.Error {
	if e.Fields != nil {
		fields := make(map[string]string, len(e.Fields))
		for k, v := range e.Fields {
			fields[nameParts(k, names)] = v
		}
		return apierr.Invalid(fields)
	}
	return apierr.BadRequest("%s", nameParts(e.Text, names)+e.Detail)
}

// nameParts is text with each {part} in it called by its name in names.
func nameParts(text string, names map[Part]string) string {
	if !strings.Contains(text, "{") {
		return text
	}
	for _, p := range parts {
		name, ok := names[p]
		if !ok {
			name = string(p)
		}
		text = strings.ReplaceAll(text, "{"+string(p)+"}", name)
	}
	return text
}

// NamePlanError is err with a PartError in it named by names, else err.
func NamePlanError(err error, names map[Part]string) error {
	var pe *PartError
	if errors.As(err, &pe) {
		return pe.Named(names)
	}
	return err
}
