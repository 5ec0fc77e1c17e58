package query

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Expr is a parsed filter expression: a *Logical or a *Comparison.
// A nil Expr means "no filter" (match everything).
//
// String renders the expression in canonical syntax that Parse accepts and
// that parses back to an equal tree, so expressions can be logged, stored
// and compared.
type Expr interface {
	String() string
	isExpr()
}

// LogicalOp joins two expressions.
type LogicalOp int

// Logical operators; And binds tighter than Or.
const (
	And LogicalOp = iota // &&
	Or                   // ||
)

func (o LogicalOp) String() string {
	if o == And {
		return "&&"
	}
	return "||"
}

// Logical is `Left && Right` or `Left || Right`. Chains are left-associative.
type Logical struct {
	Op          LogicalOp
	Left, Right Expr
}

// Op is a comparison operator, without the any-of `?` prefix.
type Op int

// Comparison operators.
const (
	Eq      Op = iota // =
	Neq               // !=
	Gt                // >
	Gte               // >=
	Lt                // <
	Lte               // <=
	Like              // ~   case-insensitive "contains"
	NotLike           // !~  negation of ~
)

var opNames = [...]string{"=", "!=", ">", ">=", "<", "<=", "~", "!~"}

func (o Op) String() string {
	if o < 0 || int(o) >= len(opNames) {
		return "?"
	}
	return opNames[o]
}

// Comparison is `Left Op Right`. AnyOf marks the `?op` form: with a
// multi-valued operand it is true if any element satisfies Op.
type Comparison struct {
	Op          Op
	AnyOf       bool
	OpPos       int
	Left, Right Operand
}

// Operand is one side of a comparison: *Ident, *Literal, *Macro or *RequestRef.
type Operand interface {
	String() string
	Position() int
	isOperand()
}

// Ident is a bare word or dotted path like `author.name`, or an explicit
// `@record.<path>`. Whether a bare word is a field or (on the right of a
// comparison) a string literal is decided later against the schema, so the
// parser stays schema-free.
type Ident struct {
	Path   []string
	Record bool // written as @record.<path>: must be a field
	Pos    int
}

// Literal is a quoted string (string), number (float64), true/false (bool)
// or null (nil). Programmatically built trees (e.g. from GraphQL) may also
// use any Go number or a time.Time.
type Literal struct {
	Value any
	Pos   int
}

// Macro is a date macro such as @now, resolved from Options.Now.
// Name is without the "@".
type Macro struct {
	Name string
	Pos  int
}

// RequestRef is `@request.auth.<path>` (Scope "auth") or
// `@request.data.<path>` (Scope "data"), resolved from Options.Request.
type RequestRef struct {
	Scope string
	Path  []string
	Pos   int
}

func (*Logical) isExpr()       {}
func (*Comparison) isExpr()    {}
func (*Ident) isOperand()      {}
func (*Literal) isOperand()    {}
func (*Macro) isOperand()      {}
func (*RequestRef) isOperand() {}

// Position returns the 0-based byte offset of the operand in the source.
func (i *Ident) Position() int { return i.Pos }

// Position returns the 0-based byte offset of the operand in the source.
func (l *Literal) Position() int { return l.Pos }

// Position returns the 0-based byte offset of the operand in the source.
func (m *Macro) Position() int { return m.Pos }

// Position returns the 0-based byte offset of the operand in the source.
func (r *RequestRef) Position() int { return r.Pos }

func (l *Logical) String() string {
	return l.side(l.Left, false) + " " + l.Op.String() + " " + l.side(l.Right, true)
}

// side parenthesises a child only where the grammar needs it: an Or inside
// an And, or a same-operator chain nested on the right (chains are
// left-associative).
func (l *Logical) side(e Expr, right bool) string {
	c, ok := e.(*Logical)
	if ok && ((l.Op == And && c.Op == Or) || (right && c.Op == l.Op)) {
		return "(" + c.String() + ")"
	}
	return e.String()
}

func (c *Comparison) String() string {
	op := c.Op.String()
	if c.AnyOf {
		op = "?" + op
	}
	return c.Left.String() + " " + op + " " + c.Right.String()
}

func (i *Ident) String() string {
	s := strings.Join(i.Path, ".")
	if i.Record {
		return "@record." + s
	}
	return s
}

func (l *Literal) String() string {
	switch v := l.Value.(type) {
	case nil:
		return "null"
	case bool:
		return strconv.FormatBool(v)
	case string:
		return quote(v)
	case time.Time:
		return quote(v.UTC().Format(time.RFC3339Nano))
	}
	if f, ok := toFloat(l.Value); ok {
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
	return quote(fmt.Sprint(l.Value))
}

func (m *Macro) String() string { return "@" + m.Name }

func (r *RequestRef) String() string {
	return "@request." + r.Scope + "." + strings.Join(r.Path, ".")
}

// quote renders s as a double-quoted string literal of this language.
func quote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '"', '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case '\n':
			b.WriteString(`\n`)
		case '\t':
			b.WriteString(`\t`)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}
