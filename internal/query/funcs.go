package query

import (
	"fmt"
	"strings"
)

// The nodes below have no syntax in the text language: adapters build them
// (GraphQL where: maps to them), and both back ends implement each once.
// Their String forms (`!(…)`, `like(title, "a%")`, `exists(author, …)`)
// are for logs and tests; Parse does not read them.

// Not is the two-valued negation of X: true exactly for the records X does
// not match. Not{X: nil} is FALSE, since a nil Expr matches everything.
type Not struct {
	X Expr
}

// Func names a predicate on one field that the comparison operators do not
// cover.
type Func string

// Functions of Call. The argument each takes is given after the arrow.
const (
	// FuncLike is SQL LIKE (% and _ wildcards, \ escapes) -> string.
	FuncLike Func = "like"
	// FuncILike is LIKE ignoring case -> string.
	FuncILike Func = "ilike"
	// FuncNotLike is the two-valued negation of like (NULL does not match) -> string.
	FuncNotLike Func = "nlike"
	// FuncNotILike is the two-valued negation of ilike -> string.
	FuncNotILike Func = "nilike"
	// FuncRegex matches a regular expression anywhere in the text -> string,
	// in the syntax RE2 and PostgreSQL share (see checkRegex).
	FuncRegex Func = "regex"
	// FuncIRegex is regex ignoring case -> string.
	FuncIRegex Func = "iregex"
	// FuncHasKey is jsonb's `?`: a top-level key, array element or the
	// string itself -> string.
	FuncHasKey Func = "has_key"
	// FuncContains is `@>`: a jsonb value contains Arg (any JSON value), or
	// a multi field holds every element of Arg ([]string).
	FuncContains Func = "contains"
	// FuncContainedIn is `<@` on multi fields: every element is in Arg -> []string.
	FuncContainedIn Func = "contained_in"
	// FuncOverlaps is `&&` on multi fields: an element is in Arg -> []string.
	FuncOverlaps Func = "overlaps"
)

// Call applies Func to a field of the record and a constant argument.
// A NULL field matches no function but the negated likes.
type Call struct {
	Func  Func
	Field *Ident
	Arg   any
	Pos   int
}

// Exists holds when a record related through Field (a single or multi
// relation of the record, or a path through relations ending in one)
// exists and matches Where (nil: any related record), as Hasura's
// relationship conditions do. Like relation paths, Exists sees only the
// related records the Fields' View lets through.
type Exists struct {
	Field *Ident
	Where Expr
	Pos   int
}

func (*Not) isExpr()    {}
func (*Call) isExpr()   {}
func (*Exists) isExpr() {}

func (n *Not) String() string {
	if n.X == nil {
		return "!(true)"
	}
	return "!(" + n.X.String() + ")"
}

func (c *Call) String() string {
	return string(c.Func) + "(" + c.Field.String() + ", " + argString(c.Arg) + ")"
}

func (e *Exists) String() string {
	if e.Where == nil {
		return "exists(" + e.Field.String() + ")"
	}
	return "exists(" + e.Field.String() + ", " + e.Where.String() + ")"
}

func argString(v any) string {
	switch x := v.(type) {
	case string:
		return quote(x)
	case []string:
		parts := make([]string, len(x))
		for i, s := range x {
			parts[i] = quote(s)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	}
	return fmt.Sprint(v)
}

// View restricts the related records a client filter reaches through a
// relation to those the caller may see: the target's view rule, bound
// against Fields (the target as rules see it). Deny is a rule that lets no
// one but admins through. Rules themselves are written by admins and are
// given Fields without Views, so they traverse relations freely.
type View struct {
	Rule   Expr
	Fields Fields
	Deny   bool
}

// nNot, nCall and nExists are the bound forms of Not, Call and Exists.
type nNot struct{ x node }

type nCall struct {
	fn  Func
	ref *fieldRef
	arg any     // string, []string, or a JSON value for jsonb contains
	re  matcher // like and regex functions, for Eval
}

type nExists struct {
	ref   *fieldRef // steps: every relation walked, the last one included
	where node
}

func (b *binder) not(n *Not) (node, error) {
	x, err := b.expr(n.X)
	if n.X == nil {
		x, err = nConst(true), nil
	}
	if err != nil {
		return nil, err
	}
	if c, ok := x.(nConst); ok {
		return !c, nil
	}
	return &nNot{x: x}, nil
}

func (b *binder) exists(e *Exists) (node, error) {
	if e.Field == nil || len(e.Field.Path) == 0 || len(e.Field.Path) > MaxPathSegments {
		return nil, errorf(e.Pos, "invalid relation condition")
	}
	ref, err := b.walk(e.Field, true)
	if err != nil {
		return nil, err
	}
	last := ref.steps[len(ref.steps)-1]
	sub := &binder{fields: last.Target, opts: b.opts}
	where := node(nConst(true))
	if e.Where != nil {
		if where, err = sub.expr(e.Where); err != nil {
			return nil, err
		}
	}
	if c, ok := where.(nConst); ok && !bool(c) {
		return c, nil
	}
	return &nExists{ref: ref, where: where}, nil
}

func (b *binder) call(c *Call) (node, error) {
	if c.Field == nil {
		return nil, errorf(c.Pos, "invalid function call")
	}
	ref, err := b.walk(c.Field, false)
	if err != nil {
		return nil, err
	}
	if len(ref.steps) > 0 {
		return nil, errorf(c.Pos, "%s applies to fields of the record itself, not %q", c.Func, ref.name())
	}
	f := ref.last
	n := &nCall{fn: c.Func, ref: ref, arg: c.Arg}
	switch c.Func {
	case FuncLike, FuncILike, FuncNotLike, FuncNotILike, FuncRegex, FuncIRegex:
		s, ok := c.Arg.(string)
		if !ok || f.Kind == KindMulti || kindDomain(f.Kind) != dText {
			return nil, errorf(c.Pos, "%s needs a text field and a string", c.Func)
		}
		if n.re, err = newMatcher(c.Func, s); err != nil {
			return nil, errorf(c.Pos, "%s: invalid pattern: %v", ref.name(), err)
		}
	case FuncHasKey:
		if _, ok := c.Arg.(string); !ok || f.Kind != KindJSON {
			return nil, errorf(c.Pos, "has_key needs a json field and a string")
		}
	case FuncContains, FuncContainedIn, FuncOverlaps:
		if f.Kind == KindJSON && c.Func == FuncContains {
			n.arg = jsonValue(c.Arg)
			break
		}
		if _, ok := c.Arg.([]string); !ok || f.Kind != KindMulti {
			return nil, errorf(c.Pos, "%s needs a list field and a list of strings", c.Func)
		}
	default:
		return nil, errorf(c.Pos, "unknown function %q", c.Func)
	}
	return n, nil
}

// arrayLiteral renders a text[] literal ({"a","b"}) to bind as one parameter,
// which keeps this package free of driver types.
func arrayLiteral(list []string) string {
	var b strings.Builder
	b.WriteByte('{')
	for i, s := range list {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('"')
		b.WriteString(strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s))
		b.WriteByte('"')
	}
	b.WriteByte('}')
	return b.String()
}
