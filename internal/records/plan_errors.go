package records

import (
	"errors"
	"strings"

	"fastcms/internal/apierr"
)

// Errors about a read plan name its parts neutrally, by the Rows field
// they concern; each adapter names them as its API does (graph: where,
// order_by…; REST: filter, sort…) with Named, so the renderer speaks no
// protocol's terms.

// Part is a part of a plan that a client gave.
type Part string

// The parts of a plan.
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

// PartError is a client mistake in a part of a plan (a 400). Text says
// what is wrong, naming parts as {where}, {order}…; Detail, appended as
// is, is what the database or the filter language said.
type PartError struct {
	Part   Part
	Text   string
	Detail string
}

func partError(p Part, text string) *PartError { return &PartError{Part: p, Text: text} }

func (e *PartError) Error() string { return e.Named(nil).Message }

// Named is the error as the API answers it, each part called by its name
// in names (its neutral name when absent).
func (e *PartError) Named(names map[Part]string) *apierr.Error {
	text := e.Text
	for _, p := range []Part{PartWhere, PartOrder, PartDistinct, PartLimit, PartOffset, PartFirst, PartLast, PartAfter, PartBefore} {
		name, ok := names[p]
		if !ok {
			name = string(p)
		}
		text = strings.ReplaceAll(text, "{"+string(p)+"}", name)
	}
	return apierr.BadRequest("%s", text+e.Detail)
}

// NamePlanError is err with a PartError in it named by names, else err.
func NamePlanError(err error, names map[Part]string) error {
	var pe *PartError
	if errors.As(err, &pe) {
		return pe.Named(names)
	}
	return err
}
