package query

import "fmt"

// Limits that bound the work a single (possibly hostile) expression can cause.
// They are enforced by Parse; exceeding one is a *Error like any syntax error.
const (
	// MaxLength is the longest accepted expression in bytes.
	MaxLength = 4096
	// MaxDepth is the deepest accepted nesting of parentheses.
	MaxDepth = 32
	// MaxPathSegments is the longest accepted dotted field path
	// (e.g. `a.b.c` has 3 segments), bounding the joins one operand can cause.
	MaxPathSegments = 6
)

// Error is the only error type returned for problems in an expression
// (syntax, unknown fields, type mismatches, unusable values). It carries the
// position so API handlers can point the user at the offending character.
//
// Pos is a 0-based byte offset into the expression text. Message is the
// complete human-readable text, already ending in "at position <Pos>", so it
// can be shown to end users verbatim.
type Error struct {
	Pos     int
	Message string
	// Reason is Message without the position, for expressions that were
	// built rather than typed (GraphQL where:), where it means nothing.
	Reason string
}

func (e *Error) Error() string { return e.Message }

// errorf builds an *Error whose message ends with the position.
func errorf(pos int, format string, args ...any) *Error {
	reason := fmt.Sprintf(format, args...)
	return &Error{Pos: pos, Message: reason + fmt.Sprintf(" at position %d", pos), Reason: reason}
}
