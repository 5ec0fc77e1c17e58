package records

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"fastcms/internal/apierr"
	"fastcms/internal/auth"
	"fastcms/internal/collections"
	"fastcms/internal/query"
)

// The renderer of read plans (plan.go): an Op becomes ONE SQL statement
// that returns its whole JSON value, however deep its members: objects are
// json_build_object of the members under their keys (buildObject),
// relations are correlated subqueries linked by relationLink, each guarded
// by its target's view rule for the caller, and orders come from one
// builder (order.go). Rules and filters compile through internal/query as
// REST filters do, so every API answers alike.

// observers see the statements Do sends, for tests that hold a root
// field to one statement; see ObserveStatements. Tests run in parallel, so
// each observer is kept until its own stop: one test's observer never
// replaces another's. The list is copied on change and read without a
// lock, so a statement with no observer costs one atomic load.
var observers struct {
	mu   sync.Mutex
	list atomic.Pointer[[]*func(query string)]
}

// ObserveStatements calls fn with every statement Do sends to the database
// (the reads and writes of plans, as GraphQL runs them), until the
// returned func is called.
func ObserveStatements(fn func(query string)) (stop func()) {
	observers.mu.Lock()
	defer observers.mu.Unlock()
	var cur []*func(string)
	if l := observers.list.Load(); l != nil {
		cur = *l
	}
	next := append(append([]*func(string){}, cur...), &fn)
	observers.list.Store(&next)
	return func() {
		observers.mu.Lock()
		defer observers.mu.Unlock()
		kept := slices.DeleteFunc(append([]*func(string){}, *observers.list.Load()...), func(f *func(string)) bool { return f == &fn })
		observers.list.Store(&kept)
	}
}

func observe(q string) {
	if l := observers.list.Load(); l != nil {
		for _, fn := range *l {
			(*fn)(q)
		}
	}
}

// querier is a *sql.DB or *sql.Tx.
type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// jsonRow runs one statement that yields one JSON value (nil for NULL).
func jsonRow(ctx context.Context, q querier, stmt string, a []any) ([]byte, error) {
	observe(stmt)
	var out []byte
	err := scanRow(ctx, q, stmt, a, &out)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return out, planDBError(err)
}

// planDBError turns what a plan's filter can cause (a value of the wrong
// form, out of range or with a NUL character) into a client error about
// it, and a statement that ran out of time into apierr.TooSlow: the other
// parts of a read are checked before it runs (dataerrors.go).
func planDBError(err error) error {
	if apierr.Cancelled(err) {
		return apierr.TooSlow()
	}
	if msg, ok := dataError(err); ok {
		return &PartError{Part: PartWhere, Text: "{where}: ", Detail: msg}
	}
	return err
}

// Do runs op against snap, the snapshot the caller's view of the
// collections was built from (for GraphQL, the one its schema was built
// from), and returns its JSON (nil for null).
func (s *Service) Do(ctx context.Context, snap *collections.Snapshot, op Op) (json.RawMessage, error) {
	switch op.Kind {
	case ReadList, ReadByID, ReadAggregate, ReadConnection, ReadCount:
		stmt, args, err := Render(snap, auth.FromContext(ctx), op)
		if err != nil || stmt == "" {
			return nil, err
		}
		q := querier(s.db)
		if op.Kind == ReadByID {
			q = s.hot
		}
		return jsonRow(ctx, q, stmt, args)
	}
	c := snap.Get(op.Collection)
	if c == nil {
		return nil, apierr.NotFound("collection %q not found", op.Collection)
	}
	return s.mutate(ctx, snap, c, op)
}

// Render renders the read op (ReadList, ReadByID, ReadAggregate,
// ReadConnection or ReadCount) for the caller p into one parameterised statement that
// yields the answer as one JSON value: one row of one column, or no row or
// NULL for null. stmt is "" when the answer is null without asking (a
// by-id record the caller may never see). The statement can be run again
// as is, but date macros (@now…) in rules and filters are bound as values
// of the time it was rendered.
func Render(snap *collections.Snapshot, p *auth.Principal, op Op) (stmt string, args []any, err error) {
	c := snap.Get(op.Collection)
	if c == nil {
		return "", nil, apierr.NotFound("collection %q not found", op.Collection)
	}
	b := &renderer{snap: snap, p: p}
	stmt, err = b.read(c, op)
	if err != nil || stmt == "" {
		return "", nil, err
	}
	return stmt, b.a.list, nil
}

// RenderRows renders what selects and orders the records of a root list
// (rows' where, search and order, under the list rule) for a reader that
// reads its own columns of the rows aliased "r": the condition, the ORDER
// BY list and their parameters. The CSV export streams through it.
func RenderRows(snap *collections.Snapshot, p *auth.Principal, c *collections.Collection, rows Rows) (cond, order string, args []any, err error) {
	b := &renderer{snap: snap, p: p}
	sc := b.scope(c, alias)
	if cond, err = b.rootCond(sc, &rows); err != nil {
		return "", "", nil, err
	}
	keys, err := b.sortKeys(sc, rows.Order)
	if err != nil {
		return "", "", nil, err
	}
	return cond, orderSQL(keys), b.a.list, nil
}

// renderer accumulates one statement's parameters and aliases.
type renderer struct {
	snap *collections.Snapshot
	p    *auth.Principal
	a    args
	n    int
	// rank is the search rank expression of the rows aliased rankRow (the
	// root list), for a Rank sort key; "" without search.
	rank, rankRow string
}

// newAlias names a nested row; the root row is alias ("r"), so the
// records helpers (search) apply to it unchanged.
func (b *renderer) newAlias() string {
	b.n++
	return "gq" + strconv.Itoa(b.n)
}

func (b *renderer) scope(c *collections.Collection, row string) *scope {
	sc := newScope(b.snap, c, b.p, nil)
	sc.opts.Alias = row
	return sc
}

func qcol(row, name string) string { return collections.Quote(row) + "." + collections.Quote(name) }

// read builds the statement of a query field ("" when the answer is null
// without asking: a by-id record the caller may never see).
func (b *renderer) read(c *collections.Collection, op Op) (string, error) {
	sc := b.scope(c, alias)
	switch op.Kind {
	case ReadByID:
		rule, err := sc.rule(&b.a, actView, c.ViewRule)
		if err != nil || !collections.IsUUID(op.ID) {
			return "", nil
		}
		obj, err := b.object(sc, op.Members)
		if err != nil {
			return "", err
		}
		return "SELECT " + obj + " FROM " + c.Table() + " " + alias + " WHERE " + qcol(alias, "id") + " = " +
			b.a.add(strings.ToLower(op.ID)) + "::uuid AND " + rule, nil
	case ReadList:
		cond, err := b.rootCond(sc, &op.Rows)
		if err != nil {
			return "", err
		}
		list, err := b.list(sc, &op.Rows, cond, op.Members)
		if err != nil {
			return "", err
		}
		return "SELECT " + list, nil
	case ReadCount:
		cond, err := b.rootCond(sc, &op.Rows)
		if err != nil {
			return "", err
		}
		return "SELECT to_json(count(*)) FROM " + c.Table() + " " + alias + " WHERE " + cond, nil
	case ReadAggregate:
		return b.aggregate(sc, op)
	case ReadConnection:
		return b.connection(sc, op)
	}
	return "", errors.New("records: not a read")
}

// rootCond is the condition of a root list: the list rule (an error when
// the caller may not list), where and search.
func (b *renderer) rootCond(sc *scope, args *Rows) (string, error) {
	rule, err := sc.rule(&b.a, actList, sc.c.ListRule)
	if err != nil {
		return "", err
	}
	where, err := b.where(sc, args.Where)
	if err != nil {
		return "", err
	}
	search, rank, err := sc.search(&b.a, args.Search)
	if err != nil {
		return "", err
	}
	b.rank, b.rankRow = rank, sc.opts.Alias
	return rule + " AND " + where + " AND " + search, nil
}

// list is a scalar subquery yielding the JSON array of the rows of sc's
// table (aliased sc.opts.Alias) meeting cond, ordered and paged by args.
func (b *renderer) list(sc *scope, args *Rows, cond string, sel []Member) (string, error) {
	row := sc.opts.Alias
	keys, err := b.sortKeys(sc, args.Order)
	if err != nil {
		return "", err
	}
	distinct, keys, err := b.distinctOn(sc, args, keys)
	if err != nil {
		return "", err
	}
	order := orderSQL(keys)
	limit, offset, err := b.page(args)
	if err != nil {
		return "", err
	}
	obj, err := b.object(sc, sel)
	if err != nil {
		return "", err
	}
	s := b.newAlias()
	return "(SELECT COALESCE(json_agg(" + s + ".j), '[]'::json) FROM (SELECT " + distinct + obj + " AS j FROM " + sc.c.Table() + " " + collections.Quote(row) +
		" WHERE " + cond + " ORDER BY " + order + " LIMIT " + limit + " OFFSET " + offset + ") " + s + ")", nil
}

func (b *renderer) page(args *Rows) (limit, offset string, err error) {
	l, o := MaxLimit, 0
	if args.Limit != nil {
		if *args.Limit < 0 || *args.Limit > MaxLimit {
			return "", "", partError(PartLimit, "{limit} must be between 0 and "+strconv.Itoa(MaxLimit))
		}
		l = *args.Limit
	}
	if args.Offset != nil {
		if *args.Offset < 0 {
			return "", "", partError(PartOffset, "{offset} must not be negative")
		}
		o = *args.Offset
	}
	return strconv.Itoa(l), strconv.Itoa(o), nil
}

// object is the JSON object of the row of sc (aliased sc.opts.Alias) with
// the selected members under their response keys, in selection order.
func (b *renderer) object(sc *scope, sel []Member) (string, error) {
	return objectOf(sel, func(n Member) (string, error) { return b.member(sc, n) })
}

// objectOf is the JSON object of members under their keys, in order: a
// Typename is its name, and value gives every other member's SQL ("" leaves
// the member out). Every object a plan renders is built here.
func objectOf(sel []Member, value func(Member) (string, error)) (string, error) {
	pairs := make([]string, 0, len(sel))
	for _, n := range sel {
		v := quoteLiteral(n.Name) + "::text"
		if n.Kind != Typename {
			var err error
			if v, err = value(n); err != nil {
				return "", err
			}
			if v == "" {
				continue
			}
		}
		pairs = append(pairs, quoteLiteral(n.Key)+", "+v)
	}
	return buildObject(pairs), nil
}

func (b *renderer) member(sc *scope, n Member) (string, error) {
	row := sc.opts.Alias
	switch n.Kind {
	case Column:
		switch n.Name {
		case "id":
			return qcol(row, "id"), nil
		case "created", "updated":
			return collections.TimestampJSON(qcol(row, n.Name)), nil
		}
		f := sc.visible(n.Name)
		if f == nil {
			return "NULL::json", nil // a hidden field, for a non-admin
		}
		return collections.TypeOf(f).JSON(f, qcol(row, f.Name)), nil
	case Relation:
		f := sc.visible(n.Name)
		if f == nil || f.Relation == nil {
			if f != nil || sc.c.Field(n.Name) == nil || !sc.c.Field(n.Name).Multi() {
				return "NULL::json", nil
			}
			return "'[]'::json", nil
		}
		target := b.snap.Get(f.Relation.CollectionID)
		if target == nil {
			return "NULL::json", nil
		}
		t := b.scope(target, b.newAlias())
		tr := t.opts.Alias
		rule := t.relatedView(&b.a)
		if rule == "TRUE" && !f.Multi() && idOnly(n.Sub) {
			return linkedID(qcol(row, f.Name), n.Sub)
		}
		obj, err := b.object(t, n.Sub)
		if err != nil {
			return "", err
		}
		from := " FROM " + target.Table() + " " + collections.Quote(tr) + " WHERE " + b.link(t, f, row, false) + " AND " + rule
		if !f.Multi() {
			return "(SELECT " + obj + from + ")", nil
		}
		return "COALESCE((SELECT json_agg(" + obj + " ORDER BY array_position(" + qcol(row, f.Name) + ", " + qcol(tr, "id") + "))" +
			from + "), '[]'::json)", nil
	case Files:
		return b.fileMember(sc, n), nil
	case Object:
		return b.object(sc, n.Sub)
	case Expand:
		return b.expand(sc, n.Sub)
	case BackRelation, BackAggregate:
		other := b.snap.Get(n.Name)
		var f *collections.Field
		if other != nil {
			f = other.Field(n.Field)
		}
		t := b.scope(other, b.newAlias())
		hidden := f == nil || f.Relation == nil || (f.Hidden && !b.p.IsAdmin())
		if hidden && n.Kind == BackRelation {
			return "'[]'::json", nil
		}
		if hidden {
			return b.aggregateObject(t, &Rows{}, "FALSE", n.Sub) // over no record
		}
		link := b.link(t, f, row, true)
		args := n.Rows
		if args == nil {
			args = &Rows{}
		}
		where, err := b.where(t, args.Where)
		if err != nil {
			return "", err
		}
		cond := link + " AND " + t.relatedView(&b.a) + " AND " + where
		if n.Kind == BackAggregate {
			return b.aggregateObject(t, args, cond, n.Sub)
		}
		return b.list(t, args, cond, n.Sub)
	}
	return "", errors.New("records: unexpected member")
}

// expand is the object of the relations sel of sc's row, leaving out
// those with nothing to show (null, or an empty array), in order; "NULL"
// (JSON null) when there are none. One (position, key, value) row per
// relation: the absent drop out, and the rest become the object.
func (b *renderer) expand(sc *scope, sel []Member) (string, error) {
	if len(sel) == 0 {
		return "NULL", nil
	}
	values := make([]string, len(sel))
	for i, n := range sel {
		v, err := b.member(sc, n)
		if err != nil {
			return "", err
		}
		values[i] = "(" + strconv.Itoa(i) + ", " + quoteLiteral(n.Key) + ", " + v + ")"
	}
	x := b.newAlias()
	return "COALESCE((SELECT json_object_agg(" + x + ".k, " + x + ".v ORDER BY " + x + ".n) FROM (VALUES " +
		strings.Join(values, ", ") + ") " + x + "(n, k, v) WHERE " + x + ".v::text NOT IN ('null', '[]')), '{}'::json)", nil
}

// where compiles a plan's filter into a condition on sc's row, as a REST
// filter is compiled ("TRUE" for none).
func (b *renderer) where(sc *scope, e query.Expr) (string, error) {
	if e == nil {
		return "TRUE", nil
	}
	opts := sc.opts
	opts.ArgOffset = len(b.a.list)
	s, bound, err := query.Compile(e, sc.fields(), opts)
	if err != nil {
		return "", whereError(err)
	}
	b.a.list = append(b.a.list, bound...)
	return "(" + s + ")", nil
}

// whereError reports a filter the filter language refuses.
func whereError(err error) error {
	var qe *query.Error
	if errors.As(err, &qe) {
		return &PartError{Part: PartWhere, Text: "{where}: ", Detail: qe.Reason}
	}
	return err
}
