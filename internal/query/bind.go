package query

import (
	"fmt"
	"strings"
	"time"
)

// Options carries everything an expression may depend on besides the
// record, so that Compile and Eval are pure functions of their inputs.
type Options struct {
	// Now is the reference time for date macros. Zero means time.Now().
	Now time.Time
	// Request supplies @request.auth.* and @request.data.* values.
	Request Request
	// Alias is the SQL alias (or table name) of the filtered row, e.g. "r"
	// gives "r"."title". Empty leaves columns unqualified, which is only
	// allowed when the expression uses no relation paths. Aliases of the
	// form _q<N> are reserved for generated subqueries.
	Alias string
	// ArgOffset is the number of arguments the caller already bound;
	// the first placeholder Compile emits is $ArgOffset+1.
	ArgOffset int
}

// Request holds the request context visible to expressions. Values may be
// string, bool, any Go number, time.Time, a fmt.Stringer such as uuid.UUID
// (used as its string) or nil; nested map[string]any values are reached
// with dotted paths. A missing key, or a nil Auth (anonymous request),
// yields null.
type Request struct {
	Auth map[string]any
	Data map[string]any
}

// The bound tree is the schema-resolved, typed form of an Expr shared by
// Compile and Eval. Constant parts are already folded.
type node interface{}

type nConst bool

type nLogic struct {
	op   LogicalOp
	l, r node
}

// nCmp compares two sides in domain d. At most one side is multi-valued;
// then the comparison holds if any element satisfies it.
type nCmp struct {
	op   Op
	d    domain
	l, r side
}

// nEmpty is `multi = null` (empty) or `multi != null` (non-empty).
type nEmpty struct {
	ref      *fieldRef
	nonEmpty bool
}

// side is a field reference or a constant already coerced to the domain.
type side struct {
	ref *fieldRef
	val any
}

// fieldRef is a resolved field path: the relations walked, then the field.
// guards[i] (nil: none) is the bound View of steps[i]: which related
// records the path may reach.
type fieldRef struct {
	steps  []Field
	guards []node
	last   Field
	fanout bool // a step is a multi relation: the path yields many rows
}

func (r *fieldRef) multi() bool { return r != nil && (r.fanout || r.last.Kind == KindMulti) }

func (r *fieldRef) name() string {
	var b strings.Builder
	for _, s := range r.steps {
		b.WriteString(s.Name + ".")
	}
	return b.String() + r.last.Name
}

type binder struct {
	fields Fields
	opts   *Options
}

// bind resolves e against the schema and request context. A nil e binds to TRUE.
func bind(e Expr, f Fields, opts *Options) (node, error) {
	if opts.Now.IsZero() {
		opts.Now = time.Now()
	}
	b := &binder{fields: f, opts: opts}
	if e == nil {
		return nConst(true), nil
	}
	return b.expr(e)
}

func (b *binder) expr(e Expr) (node, error) {
	switch e := e.(type) {
	case *Logical:
		if e == nil || (e.Op != And && e.Op != Or) {
			break
		}
		l, err := b.expr(e.Left)
		if err != nil {
			return nil, err
		}
		r, err := b.expr(e.Right)
		if err != nil {
			return nil, err
		}
		return logic(e.Op, l, r), nil
	case *Comparison:
		if e != nil {
			return b.comparison(e)
		}
	case *Not:
		if e != nil {
			return b.not(e)
		}
	case *Call:
		if e != nil {
			return b.call(e)
		}
	case *Exists:
		if e != nil {
			return b.exists(e)
		}
	}
	return nil, errorf(0, "invalid expression")
}

// logic folds constant operands away: TRUE && x = x, FALSE || x = x, etc.
func logic(op LogicalOp, l, r node) node {
	absorb := nConst(op == Or) // TRUE absorbs ||, FALSE absorbs &&
	for _, pair := range [][2]node{{l, r}, {r, l}} {
		if c, ok := pair[0].(nConst); ok {
			if c == absorb {
				return absorb
			}
			return pair[1]
		}
	}
	return &nLogic{op: op, l: l, r: r}
}

// operand is one bound side before type unification.
type operand struct {
	ref  *fieldRef
	val  any  // constant when ref == nil
	null bool // the literal null (not merely a value that happens to be nil)
	pos  int
}

func (b *binder) comparison(c *Comparison) (node, error) {
	if c.Op < Eq || c.Op > NotLike || c.Left == nil || c.Right == nil {
		return nil, errorf(c.OpPos, "invalid comparison")
	}
	l, err := b.operand(c.Left, true)
	if err != nil {
		return nil, err
	}
	r, err := b.operand(c.Right, false)
	if err != nil {
		return nil, err
	}
	if l.ref.multi() && r.ref.multi() {
		return nil, errorf(c.OpPos, "cannot compare two multi-valued fields")
	}
	if (l.ref.multi() || r.ref.multi()) && !c.AnyOf {
		return emptyCheck(c, l, r)
	}

	d, err := unify(c, l, r)
	if err != nil {
		return nil, err
	}
	if d == dJSON && !((c.Op == Eq || c.Op == Neq) && (l.null || r.null)) {
		return nil, errorf(c.OpPos, "json fields support only = null and != null")
	}
	if (c.Op == Like || c.Op == NotLike) && d != dText {
		return nil, errorf(c.OpPos, "operator %s needs text operands, not %s", c.Op, d)
	}
	ls, err := coerceSide(l, d)
	if err != nil {
		return nil, err
	}
	rs, err := coerceSide(r, d)
	if err != nil {
		return nil, err
	}
	// Constant comparisons, and scalar ones whose answer NULL alone
	// decides, are folded with the same compare Eval uses.
	if ls.ref == nil && rs.ref == nil {
		return nConst(compare(c.Op, d, ls.val, rs.val)), nil
	}
	nullConst := (ls.ref == nil && ls.val == nil) || (rs.ref == nil && rs.val == nil)
	if nullConst && !ls.ref.multi() && !rs.ref.multi() && c.Op != Eq && c.Op != Neq {
		return nConst(compare(c.Op, d, nil, "")), nil
	}
	return &nCmp{op: c.Op, d: d, l: ls, r: rs}, nil
}

// emptyCheck handles a plain operator with a multi-valued operand: only
// `= null` (empty or NULL) and `!= null` (has elements) are allowed on
// multi fields; everything else must use the ?op forms.
func emptyCheck(c *Comparison, l, r operand) (node, error) {
	m, other := l, r
	if r.ref.multi() {
		m, other = r, l
	}
	if other.null && (c.Op == Eq || c.Op == Neq) && !m.ref.fanout {
		return &nEmpty{ref: m.ref, nonEmpty: c.Op == Neq}, nil
	}
	return nil, errorf(c.OpPos, "%q is multi-valued: use ?%s to match any element", m.ref.name(), c.Op)
}

// unify picks the comparison domain from the field side(s); constants adapt
// to fields. Two constants use the most specific type among them.
func unify(c *Comparison, l, r operand) (domain, error) {
	switch {
	case l.ref != nil && r.ref != nil:
		dl, dr := kindDomain(l.ref.last.Kind), kindDomain(r.ref.last.Kind)
		switch {
		case dl == dr && dl != dJSON:
			return dl, nil
		case (dl == dDate && dr == dDateTime) || (dl == dDateTime && dr == dDate):
			return dDate, nil // compared on UTC calendar dates
		}
		return 0, errorf(c.OpPos, "cannot compare %s field %q with %s field %q", dl, l.ref.name(), dr, r.ref.name())
	case l.ref != nil:
		return kindDomain(l.ref.last.Kind), nil
	case r.ref != nil:
		return kindDomain(r.ref.last.Kind), nil
	}
	return constDomain(l.val, r.val), nil
}

func constDomain(a, b any) domain {
	is := func(f func(any) bool) bool { return f(a) || f(b) }
	switch {
	case is(func(v any) bool { _, ok := v.(time.Time); return ok }):
		return dDateTime
	case is(func(v any) bool { _, ok := toFloat(v); return ok }):
		return dNumber
	case is(func(v any) bool { _, ok := v.(bool); return ok }):
		return dBool
	}
	return dText
}

func coerceSide(o operand, d domain) (side, error) {
	if o.ref != nil {
		return side{ref: o.ref}, nil
	}
	v, msg := coerce(o.val, d)
	if msg != "" {
		return side{}, errorf(o.pos, "%s", msg)
	}
	return side{val: v}, nil
}

func (b *binder) operand(o Operand, left bool) (operand, error) {
	pos := o.Position()
	switch o := o.(type) {
	case *Literal:
		return operand{val: o.Value, null: o.Value == nil, pos: pos}, nil
	case *Macro:
		if !isMacro(o.Name) {
			return operand{}, errorf(pos, "unknown macro %q", "@"+o.Name)
		}
		return operand{val: macroValue(o.Name, b.opts.Now), pos: pos}, nil
	case *RequestRef:
		if (o.Scope != "auth" && o.Scope != "data") || len(o.Path) == 0 {
			return operand{}, errorf(pos, "invalid request reference %s", o)
		}
		v, err := b.request(o)
		return operand{val: v, pos: pos}, err
	case *Ident:
		if len(o.Path) == 0 || len(o.Path) > MaxPathSegments {
			return operand{}, errorf(pos, "invalid field path %q", o)
		}
		if !left && !o.Record {
			// A bare word on the right is a field only if its first
			// segment is one; otherwise it is the string it spells.
			if _, ok := b.fields.Field(o.Path[0]); !ok {
				return operand{val: strings.Join(o.Path, "."), pos: pos}, nil
			}
		}
		ref, err := b.walk(o, false)
		return operand{ref: ref, pos: pos}, err
	}
	return operand{}, errorf(pos, "invalid operand")
}

// walk resolves a dotted path through relation fields. With toRelation
// the path must end in a relation, which becomes the last step (Exists);
// otherwise it ends in the field read.
func (b *binder) walk(id *Ident, toRelation bool) (*fieldRef, error) {
	ref := &fieldRef{}
	fields := b.fields
	for i, name := range id.Path {
		f, ok := fields.Field(name)
		if !ok {
			return nil, errorf(id.Pos, "unknown field %q", strings.Join(id.Path[:i+1], "."))
		}
		if i == len(id.Path)-1 && !toRelation {
			if f.Back {
				return nil, errorf(id.Pos, "%q is a back-relation: compare the fields of its records", strings.Join(id.Path, "."))
			}
			ref.last = f
			break
		}
		if !f.isRelation() {
			return nil, errorf(id.Pos, "field %q is not a relation", strings.Join(id.Path[:i+1], "."))
		}
		ref.steps = append(ref.steps, f)
		ref.guards = append(ref.guards, b.guard(f.View))
		fields = f.Target
	}
	// `rel.id` is the relation's own value: no join, and a dangling id
	// still compares equal to itself.
	if n := len(ref.steps); n > 0 && !toRelation && ref.last.Column == "id" && !ref.steps[n-1].Back {
		ref.last, ref.steps, ref.guards = ref.steps[n-1], ref.steps[:n-1], ref.guards[:n-1]
	}
	for _, s := range ref.steps {
		ref.fanout = ref.fanout || s.Kind == KindMulti || s.Back
	}
	return ref, nil
}

// guard binds a relation's View for the request. A view rule that cannot
// be bound for this request (request data of the wrong type) hides every
// related record: rules fail closed.
func (b *binder) guard(v *View) node {
	switch {
	case v == nil:
		return nil
	case v.Deny:
		return nConst(false)
	case v.Rule == nil:
		return nil
	}
	sub := &binder{fields: v.Fields, opts: b.opts}
	n, err := sub.expr(v.Rule)
	if err != nil {
		return nConst(false)
	}
	return n
}

// request looks up @request.auth.* / @request.data.* and checks it is a scalar.
func (b *binder) request(r *RequestRef) (any, error) {
	var cur any = b.opts.Request.Data
	if r.Scope == "auth" {
		cur = b.opts.Request.Auth
	}
	for _, k := range r.Path {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, nil
		}
		cur = m[k]
	}
	switch cur.(type) {
	case nil, string, bool, time.Time:
		return cur, nil
	}
	if f, ok := toFloat(cur); ok {
		return f, nil
	}
	if s, ok := cur.(fmt.Stringer); ok { // e.g. uuid.UUID
		return s.String(), nil
	}
	return nil, errorf(r.Pos, "%s is not a single value", r)
}
