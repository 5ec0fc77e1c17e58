package query

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Compile translates e into a parameterised SQL boolean expression for a
// WHERE clause (PostgreSQL, $N placeholders) over the row aliased
// opts.Alias. Every value from the expression or the request is returned in
// args; none is ever written into the SQL text. A nil e compiles to "TRUE".
//
// The fragment is TRUE exactly for the rows Eval accepts. For other rows it
// is FALSE or NULL, which WHERE, AND and OR treat alike; wrap it in
// COALESCE(..., false) before negating it or selecting it as a value.
// Top-level ORs are parenthesised, so the fragment can be AND-ed onto other
// conditions as is.
func Compile(e Expr, fields Fields, opts Options) (sql string, args []any, err error) {
	if strings.HasPrefix(opts.Alias, "_q") {
		if _, err := strconv.Atoi(opts.Alias[2:]); err == nil {
			return "", nil, fmt.Errorf("query: alias %q is reserved", opts.Alias)
		}
	}
	n, err := bind(e, fields, &opts)
	if err != nil {
		return "", nil, err
	}
	c := &compiler{opts: &opts}
	sql = c.node(n)
	if c.err != nil {
		return "", nil, c.err
	}
	return sql, c.args, nil
}

type compiler struct {
	opts    *Options
	args    []any
	aliases int
	err     error
	// under is the quoted alias a guard or Exists condition is rendered
	// over, in place of Options.Alias ("" when rendering the root row).
	under string
}

func (c *compiler) node(n node) string {
	switch n := n.(type) {
	case nConst:
		if n {
			return "TRUE"
		}
		return "FALSE"
	case *nLogic:
		if n.op == And {
			return c.node(n.l) + " AND " + c.node(n.r)
		}
		return "(" + c.orChain(n) + ")"
	case *nEmpty:
		op := "="
		if n.nonEmpty {
			op = ">"
		}
		return "COALESCE(cardinality(" + c.scalar(n.ref) + "), 0) " + op + " 0"
	case *nCmp:
		return c.cmp(n)
	case *nNot:
		return "NOT COALESCE(" + c.node(n.x) + ", false)"
	case *nCall:
		return c.call(n)
	case *nExists:
		from, where, alias := c.join(n.ref)
		where = append(where, c.over(alias, n.where))
		return "EXISTS (SELECT 1 FROM " + strings.Join(from, ", ") + " WHERE " + strings.Join(where, " AND ") + ")"
	}
	c.err = fmt.Errorf("query: unknown node %T", n)
	return ""
}

// orChain renders a || b || c without nested parentheses.
func (c *compiler) orChain(n node) string {
	if l, ok := n.(*nLogic); ok && l.op == Or {
		return c.orChain(l.l) + " OR " + c.orChain(l.r)
	}
	return c.node(n)
}

func (c *compiler) cmp(n *nCmp) string {
	// Comparing a uuid column with a canonical uuid constant is done in
	// uuid (index-friendly); it is equivalent to comparing the text forms.
	rawUUID := (n.op == Eq || n.op == Neq) && n.d == dText &&
		((n.l.ref != nil && isUUIDKind(n.l.ref.last) && canonical(n.r)) ||
			(n.r.ref != nil && isUUIDKind(n.r.ref.last) && canonical(n.l)))

	m, mOnLeft := n.r.ref, false
	if n.l.ref.multi() {
		m, mOnLeft = n.l.ref, true
	}
	if !m.multi() {
		l, r := c.operand(n.l, n.d, rawUUID), c.operand(n.r, n.d, rawUUID)
		return c.scalarCmp(n.op, n.d, l, r)
	}

	other := n.l
	if mOnLeft {
		other = n.r
	}
	// Common case `tags ?= "x"`: value = ANY(array).
	if n.op == Eq && !m.fanout && other.ref == nil && other.val != nil {
		// The cast compares uuid[] as text; after a subquery it also makes
		// ANY((SELECT ...)) take an array rather than a row set.
		arr := c.scalar(m)
		switch {
		case rawUUID && len(m.steps) > 0:
			arr += "::uuid[]"
		case !rawUUID && (isUUIDKind(m.last) || len(m.steps) > 0):
			arr += "::text[]"
		}
		return c.bind(other.val, n.d, rawUUID) + " = ANY(" + arr + ")"
	}
	from, where, elem := c.elements(m, n.d, rawUUID)
	o := c.operand(other, n.d, rawUUID)
	if mOnLeft {
		where = append(where, c.scalarCmp(n.op, n.d, elem, o))
	} else {
		where = append(where, c.scalarCmp(n.op, n.d, o, elem))
	}
	return "EXISTS (SELECT 1 FROM " + strings.Join(from, ", ") + " WHERE " + strings.Join(where, " AND ") + ")"
}

func canonical(s side) bool {
	v, ok := s.val.(string)
	return s.ref == nil && ok && isCanonicalUUID(v)
}

// sqlOperand is a rendered side: a column expression, or a constant that
// is bound only when the comparison knows how it needs it (e.g. as an ILIKE
// pattern).
type sqlOperand struct {
	sql     string // column expression
	isConst bool
	val     any
	d       domain
	rawUUID bool
}

// operand renders a scalar side.
func (c *compiler) operand(s side, d domain, rawUUID bool) sqlOperand {
	if s.ref != nil {
		return sqlOperand{sql: c.convert(c.scalar(s.ref), s.ref.last, d, rawUUID)}
	}
	return sqlOperand{isConst: true, val: s.val, d: d, rawUUID: rawUUID}
}

// text returns the SQL of o, binding a constant as a typed parameter.
func (c *compiler) text(o sqlOperand) string {
	if !o.isConst {
		return o.sql
	}
	return c.bind(o.val, o.d, o.rawUUID)
}

// bind appends v to args and returns its typed placeholder.
func (c *compiler) bind(v any, d domain, rawUUID bool) string {
	cast := [...]string{dText: "text", dNumber: "double precision", dBool: "boolean", dDate: "date", dDateTime: "timestamptz", dJSON: "jsonb"}[d]
	if d == dText && rawUUID {
		cast = "uuid"
	}
	if t, ok := v.(time.Time); ok && d == dDate {
		v = t.Format(time.DateOnly)
	}
	c.args = append(c.args, v)
	return "$" + strconv.Itoa(c.opts.ArgOffset+len(c.args)) + "::" + cast
}

// convert adapts a column expression of field f to domain d.
func (c *compiler) convert(col string, f Field, d domain, rawUUID bool) string {
	switch {
	case d == dDate && f.Kind == KindDateTime:
		return "(" + col + " AT TIME ZONE 'UTC')::date"
	case d == dText && isUUIDKind(f) && !rawUUID:
		return col + "::text"
	}
	return col
}

const likeEscape = ` ESCAPE E'\\'`

// scalarCmp renders `l op r` for single values with the semantics of compare.
func (c *compiler) scalarCmp(op Op, d domain, l, r sqlOperand) string {
	if l.isConst && l.val == nil || r.isConst && r.val == nil {
		if l.isConst && r.isConst {
			return boolSQL(compare(op, d, l.val, r.val))
		}
		col := l
		if l.isConst {
			col = r
		}
		switch op {
		case Eq:
			return col.sql + " IS NULL"
		case Neq:
			return col.sql + " IS NOT NULL"
		}
		return boolSQL(compare(op, d, nil, ""))
	}
	if op == Like || op == NotLike {
		return c.like(op, l, r)
	}
	both := !l.isConst && !r.isConst // both sides may be NULL
	ls, rs := c.text(l), c.text(r)
	switch op {
	case Eq:
		if both {
			return ls + " IS NOT DISTINCT FROM " + rs
		}
		return ls + " = " + rs
	case Neq:
		return ls + " IS DISTINCT FROM " + rs
	}
	if d == dText {
		ls += ` COLLATE "C"` // byte order, as in Go
	}
	return ls + " " + op.String() + " " + rs
}

// like renders ~ / !~. A constant needle becomes an escaped ILIKE pattern
// (bound, so a trigram index can serve it); a column needle uses strpos,
// which needs no escaping. (In a UTF-8 database ILIKE lower-cases both
// sides exactly like lower(), so the two forms agree.)
func (c *compiler) like(op Op, l, r sqlOperand) string {
	if r.isConst {
		pat := c.bind("%"+escapeLike(r.val.(string))+"%", dText, false)
		if op == NotLike {
			return "(" + l.sql + " IS NULL OR " + l.sql + " NOT ILIKE " + pat + likeEscape + ")"
		}
		return l.sql + " ILIKE " + pat + likeEscape
	}
	pos := "strpos(lower(" + c.text(l) + "), lower(" + r.sql + ")) > 0"
	if op == NotLike {
		return "NOT COALESCE(" + pos + ", false)"
	}
	return pos
}

func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

func boolSQL(b bool) string {
	if b {
		return "TRUE"
	}
	return "FALSE"
}

func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

func (c *compiler) newAlias() string {
	c.aliases++
	return quoteIdent("_q" + strconv.Itoa(c.aliases))
}

func (c *compiler) column(alias, col string) string {
	if alias == "" {
		return quoteIdent(col)
	}
	return alias + "." + quoteIdent(col)
}

// root is the quoted alias of the filtered row ("" for unqualified columns).
func (c *compiler) root() string {
	if c.under != "" {
		return c.under
	}
	if c.opts.Alias == "" {
		return ""
	}
	return quoteIdent(c.opts.Alias)
}

// join walks ref's relation steps, returning FROM items, join conditions
// and the alias of the last related table.
func (c *compiler) join(ref *fieldRef) (from, where []string, alias string) {
	alias = c.root()
	if len(ref.steps) > 0 && alias == "" && c.err == nil {
		c.err = errors.New("query: relation paths need Options.Alias")
	}
	for i, s := range ref.steps {
		a := c.newAlias()
		from = append(from, s.TargetTable+" "+a)
		switch {
		case s.Back && s.Kind == KindRelation:
			where = append(where, c.column(a, s.Column)+" = "+c.column(alias, "id"))
		case s.Back: // @> can use the GIN index of the multi relation
			where = append(where, c.column(a, s.Column)+" @> ARRAY["+c.column(alias, "id")+"]")
		case s.Kind == KindRelation:
			where = append(where, a+`."id" = `+c.column(alias, s.Column))
		default:
			where = append(where, a+`."id" = ANY(`+c.column(alias, s.Column)+")")
		}
		if g := ref.guards[i]; g != nil {
			where = append(where, c.over(a, g))
		}
		alias = a
	}
	return from, where, alias
}

// over renders n as a condition on the row aliased alias (a related row).
func (c *compiler) over(alias string, n node) string {
	saved := c.under
	c.under = alias
	s := c.node(n)
	c.under = saved
	return "(" + s + ")"
}

// scalar renders a field reached through single relations only: the column
// itself, or a scalar subquery that yields NULL when a relation is missing.
func (c *compiler) scalar(ref *fieldRef) string {
	from, where, alias := c.join(ref)
	col := c.column(alias, ref.last.Column)
	if len(from) == 0 {
		return col
	}
	return "(SELECT " + col + " FROM " + strings.Join(from, ", ") + " WHERE " + strings.Join(where, " AND ") + ")"
}

// elements renders the values of a multi-valued ref as FROM items and
// conditions for an EXISTS subquery, plus the element expression.
func (c *compiler) elements(ref *fieldRef, d domain, rawUUID bool) (from, where []string, elem sqlOperand) {
	from, where, alias := c.join(ref)
	col := c.column(alias, ref.last.Column)
	if ref.last.Kind == KindMulti {
		e := c.newAlias()
		from = append(from, "unnest("+col+") AS "+e+`("v")`)
		col = e + `."v"`
	}
	return from, where, sqlOperand{sql: c.convert(col, ref.last, d, rawUUID)}
}

// call renders a function. Patterns and lists are bound parameters.
func (c *compiler) call(n *nCall) string {
	col := c.convert(c.scalar(n.ref), n.ref.last, dText, false)
	switch n.fn {
	case FuncLike, FuncILike, FuncNotLike, FuncNotILike:
		kw := "LIKE"
		if n.fn == FuncILike || n.fn == FuncNotILike {
			kw = "ILIKE"
		}
		p := c.bind(n.arg, dText, false)
		if n.fn == FuncNotLike || n.fn == FuncNotILike {
			return "(" + col + " IS NULL OR " + col + " NOT " + kw + " " + p + ")"
		}
		return col + " " + kw + " " + p
	case FuncRegex:
		return col + " ~ " + c.bind(n.arg, dText, false)
	case FuncIRegex:
		return col + " ~* " + c.bind(n.arg, dText, false)
	case FuncHasKey:
		return c.scalar(n.ref) + " ? " + c.bind(n.arg, dText, false)
	}
	if n.ref.last.Kind == KindJSON {
		js, err := json.Marshal(n.arg)
		if err != nil {
			c.err = errorf(0, "%s: %v", n.fn, err)
			return ""
		}
		return c.scalar(n.ref) + " @> " + c.bind(string(js), dJSON, false)
	}
	// A multi field's NULL is its empty list, as everywhere in the language.
	arr := "COALESCE(" + c.scalar(n.ref) + "::text[], '{}')"
	op := map[Func]string{FuncContains: " @> ", FuncContainedIn: " <@ ", FuncOverlaps: " && "}[n.fn]
	c.args = append(c.args, arrayLiteral(n.arg.([]string)))
	return arr + op + "$" + strconv.Itoa(c.opts.ArgOffset+len(c.args)) + "::text[]"
}
