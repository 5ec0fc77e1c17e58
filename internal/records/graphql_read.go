package records

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"

	"fastcms/internal/apierr"
	"fastcms/internal/auth"
	"fastcms/internal/collections"
	"fastcms/internal/query"
)

// The GraphQL read path. graph/ turns a collection field and its selection
// into a GQLOp; this file turns the GQLOp into ONE SQL statement that
// returns the field's whole JSON value, however deep the selection: objects
// are json_build_object of the selected fields under their response keys,
// relations are correlated subqueries, each guarded by its target's view
// rule for the caller. Rules and where: compile through internal/query like
// REST filters, so both APIs answer alike.

// GQLKind says what a selected member is; which kinds may appear depends
// on the object it is selected in (a record, an aggregate, a connection…).
type GQLKind int

// Selection kinds.
const (
	GQLTypename      GQLKind = iota // Name is the type name
	GQLColumn                       // id, created, updated or a data field Name
	GQLRelation                     // forward relation field Name; Sub is the target's selection
	GQLBackRelation                 // records of collection Name whose relation Field points here; Args apply
	GQLCount                        // aggregate: count
	GQLAggFunc                      // aggregate: Name is sum, avg, min or max; Sub lists GQLColumn
	GQLAggregate                    // X_aggregate.aggregate; Sub holds GQLCount/GQLAggFunc
	GQLNodes                        // X_aggregate.nodes; Sub is a record selection
	GQLEdges                        // connection edges; Sub holds GQLCursor/GQLNode
	GQLCursor                       // edge cursor
	GQLNode                         // edge node; Sub is a record selection
	GQLPageInfo                     // connection page_info; Sub holds GQLPageField
	GQLPageField                    // Name is has_next_page, has_previous_page, start_cursor or end_cursor
	GQLTotalCount                   // connection total_count
	GQLAffectedRows                 // mutation response affected_rows
	GQLReturning                    // mutation response returning; Sub is a record selection
	GQLBackAggregate                // X_aggregate of the records of collection Name whose relation Field points here; Args apply
)

// GQLSel is one selected member: its response key (the alias), what it is,
// and its own selection.
type GQLSel struct {
	Key   string
	Kind  GQLKind
	Name  string
	Field string
	Args  *GQLListArgs
	Sub   []GQLSel
}

// GQLListArgs are the arguments of a list of records.
type GQLListArgs struct {
	Where      map[string]any
	OrderBy    []any
	DistinctOn []string
	Limit      *int
	Offset     *int
	Search     string
	// Connection paging.
	First, Last   *int
	After, Before *string
}

// GQLOpKind is the kind of a root collection field.
type GQLOpKind int

// Root field kinds.
const (
	GQLList GQLOpKind = iota
	GQLByPK
	GQLAggregateOp
	GQLConnection
	GQLInsertOne
	GQLInsert
	GQLUpdateByPK
	GQLUpdate
	GQLDeleteByPK
	GQLDelete
	GQLUpdateMany
)

// GQLOp is one root collection field to resolve.
type GQLOp struct {
	Kind       GQLOpKind
	Collection string
	Args       GQLListArgs
	ID         string
	Objects    []map[string]any // insert
	Set, Inc   map[string]any   // update
	AtMost     int              // bulk update and delete
	// Updates are the updates of update_X_many, in order: each a GQLUpdate
	// with its Args.Where, Set and Inc (Kind, AtMost and Sel are set by
	// the update_X_many itself).
	Updates []GQLOp
	Sel     []GQLSel
}

// MaxGQLLimit caps limit (and the rows of a list without one).
const MaxGQLLimit = 1000

// gqlObserver sees the statements the GraphQL paths send, for
// tests that hold a root field to one statement; see ObserveGraphQL.
var gqlObserver atomic.Pointer[func(query string)]

// ObserveGraphQL calls fn with every statement the GraphQL paths of this
// package send to the database, until the returned func is called.
func ObserveGraphQL(fn func(query string)) (stop func()) {
	gqlObserver.Store(&fn)
	return func() { gqlObserver.CompareAndSwap(&fn, nil) }
}

func observe(q string) {
	if fn := gqlObserver.Load(); fn != nil {
		(*fn)(q)
	}
}

// querier is a *sql.DB or *sql.Tx.
type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// gqlRow runs one statement that yields one JSON value (nil for NULL).
func gqlRow(ctx context.Context, q querier, stmt string, a []any) ([]byte, error) {
	observe(stmt)
	var out []byte
	err := scanRow(ctx, q, stmt, a, &out)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return out, gqlDBError(err)
}

// gqlDBError turns what a client's where: can cause (a value of the wrong
// form, out of range or with a NUL character) into a client error, and a
// statement that ran out of time into apierr.TooSlow: the other arguments
// of a read are checked before it runs (graphql_errors.go).
func gqlDBError(err error) error {
	if apierr.Cancelled(err) {
		return apierr.TooSlow()
	}
	return inputError(err, "where")
}

// GraphQL resolves one root collection field against snap, the snapshot
// the GraphQL schema of the request was built from, and returns its JSON
// (nil for null).
func (s *Service) GraphQL(ctx context.Context, snap *collections.Snapshot, op GQLOp) (json.RawMessage, error) {
	c := snap.Get(op.Collection)
	if c == nil {
		return nil, apierr.NotFound("collection %q not found", op.Collection)
	}
	b := &gqlBuilder{snap: snap, p: auth.FromContext(ctx)}
	switch op.Kind {
	case GQLList, GQLByPK, GQLAggregateOp, GQLConnection:
		stmt, err := b.read(c, op)
		if err != nil || stmt == "" {
			return nil, err
		}
		q := querier(s.db)
		if op.Kind == GQLByPK {
			q = s.hot
		}
		return gqlRow(ctx, q, stmt, b.a.list)
	}
	return s.gqlMutate(ctx, snap, c, op)
}

// gqlBuilder accumulates one statement's parameters and aliases.
type gqlBuilder struct {
	snap *collections.Snapshot
	p    *auth.Principal
	a    args
	n    int
	// rank is the search rank expression of the rows aliased rankRow (the
	// root list), for order_by's _rank; "" without search.
	rank, rankRow string
}

// newAlias names a nested row; the root row is alias ("r"), so the
// records helpers (search) apply to it unchanged.
func (b *gqlBuilder) newAlias() string {
	b.n++
	return "gq" + strconv.Itoa(b.n)
}

func (b *gqlBuilder) scope(c *collections.Collection, row string) *scope {
	sc := newScope(b.snap, c, b.p, nil)
	sc.opts.Alias = row
	return sc
}

func qcol(row, name string) string { return collections.Quote(row) + "." + collections.Quote(name) }

// read builds the statement of a query field ("" when the answer is null
// without asking: a by_pk the caller may never see).
func (b *gqlBuilder) read(c *collections.Collection, op GQLOp) (string, error) {
	sc := b.scope(c, alias)
	switch op.Kind {
	case GQLByPK:
		rule, err := sc.rule(&b.a, actView, c.ViewRule)
		if err != nil || !collections.IsUUID(op.ID) {
			return "", nil
		}
		obj, err := b.object(sc, op.Sel)
		if err != nil {
			return "", err
		}
		return "SELECT " + obj + " FROM " + c.Table() + " " + alias + " WHERE " + qcol(alias, "id") + " = " +
			b.a.add(strings.ToLower(op.ID)) + "::uuid AND " + rule, nil
	case GQLList:
		cond, err := b.rootCond(sc, &op.Args)
		if err != nil {
			return "", err
		}
		list, err := b.list(sc, &op.Args, cond, op.Sel)
		if err != nil {
			return "", err
		}
		return "SELECT " + list, nil
	case GQLAggregateOp:
		return b.aggregate(sc, op)
	case GQLConnection:
		return b.connection(sc, op)
	}
	return "", errors.New("records: unknown GraphQL read")
}

// rootCond is the condition of a root list: the list rule (an error when
// the caller may not list), where and search.
func (b *gqlBuilder) rootCond(sc *scope, args *GQLListArgs) (string, error) {
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

// viewCond is the target's view rule for nested records: what the caller
// may not view is simply absent.
func (b *gqlBuilder) viewCond(sc *scope) string {
	rule, err := sc.rule(&b.a, actView, sc.c.ViewRule)
	if err != nil {
		return "FALSE"
	}
	return rule
}

// list is a scalar subquery yielding the JSON array of the rows of sc's
// table (aliased sc.opts.Alias) meeting cond, ordered and paged by args.
func (b *gqlBuilder) list(sc *scope, args *GQLListArgs, cond string, sel []GQLSel) (string, error) {
	row := sc.opts.Alias
	keys, err := b.sortKeys(sc, args.OrderBy)
	if err != nil {
		return "", err
	}
	distinct, keys, err := b.distinctOn(sc, args, keys)
	if err != nil {
		return "", err
	}
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k.String()
	}
	order := strings.Join(parts, ", ")
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

func (b *gqlBuilder) page(args *GQLListArgs) (limit, offset string, err error) {
	l, o := MaxGQLLimit, 0
	if args.Limit != nil {
		if *args.Limit < 0 || *args.Limit > MaxGQLLimit {
			return "", "", apierr.BadRequest("limit must be between 0 and %d", MaxGQLLimit)
		}
		l = *args.Limit
	}
	if args.Offset != nil {
		if *args.Offset < 0 {
			return "", "", apierr.BadRequest("offset must not be negative")
		}
		o = *args.Offset
	}
	return strconv.Itoa(l), strconv.Itoa(o), nil
}

// sortKey is one ORDER BY item.
type sortKey struct {
	expr       string
	desc       bool
	nullsFirst bool
	// notNull marks a column that is never NULL (the record's own id,
	// created, updated): its order names no NULLS placement, so one
	// (created, id) index serves both directions.
	notNull bool
	name    string
	sqlType string // for cursors
}

func (k sortKey) String() string {
	s := k.expr + " ASC"
	if k.desc {
		s = k.expr + " DESC"
	}
	if k.notNull {
		return s
	}
	if k.nullsFirst {
		return s + " NULLS FIRST"
	}
	return s + " NULLS LAST"
}

// sortKeys reads order_by: a list of {field: direction} objects (keys of
// one object in name order), ending in the id so order is total (in the
// last key's direction). The
// default is created, then id, as over REST. _rank orders by the search
// rank, so only a root list given search (rootCond) has it. A forward
// relation orders by its target's fields and a back-relation by an
// aggregate of its records (order_keys.go).
func (b *gqlBuilder) sortKeys(sc *scope, orderBy []any) ([]sortKey, error) {
	row := sc.opts.Alias
	var keys []sortKey
	hasID := false
	for _, item := range orderBy {
		m, _ := item.(map[string]any)
		more, err := b.orderKeys(sc, m, "")
		if err != nil {
			return nil, err
		}
		for _, k := range more {
			hasID = hasID || k.name == "id"
		}
		keys = append(keys, more...)
	}
	if len(keys) == 0 {
		keys = append(keys, sortKey{expr: qcol(row, "created"), name: "created", sqlType: "timestamptz", notNull: true})
	}
	if !hasID {
		// The id breaks ties in the direction of the last key, as over
		// REST, so the (created, id) index serves newest-first too.
		keys = append(keys, sortKey{expr: qcol(row, "id"), name: "id", sqlType: "uuid", notNull: true, desc: keys[len(keys)-1].desc})
	}
	return keys, nil
}

// object is the JSON object of the row of sc (aliased sc.opts.Alias) with
// the selected members under their response keys, in selection order.
func (b *gqlBuilder) object(sc *scope, sel []GQLSel) (string, error) {
	pairs := make([]string, 0, len(sel))
	for _, n := range sel {
		v, err := b.member(sc, n)
		if err != nil {
			return "", err
		}
		pairs = append(pairs, quoteLiteral(n.Key)+", "+v)
	}
	return buildObject(pairs), nil
}

// buildObject joins key, value pairs into one json_build_object, in chunks
// of 50 pairs (PostgreSQL allows 100 arguments) spliced as text, which
// keeps the keys in order (jsonb would sort them).
func buildObject(pairs []string) string {
	const perChunk = 50
	if len(pairs) == 0 {
		return "'{}'::json"
	}
	if len(pairs) <= perChunk {
		return "json_build_object(" + strings.Join(pairs, ", ") + ")"
	}
	var parts []string
	for start := 0; start < len(pairs); start += perChunk {
		chunk := "json_build_object(" + strings.Join(pairs[start:min(start+perChunk, len(pairs))], ", ") + ")::text"
		switch {
		case start == 0:
			parts = append(parts, "left("+chunk+", -1)")
		case start+perChunk >= len(pairs):
			parts = append(parts, "substr("+chunk+", 2)")
		default:
			parts = append(parts, "substr(left("+chunk+", -1), 2)")
		}
	}
	return "(" + strings.Join(parts, " || ',' || ") + ")::json"
}

func (b *gqlBuilder) member(sc *scope, n GQLSel) (string, error) {
	row := sc.opts.Alias
	switch n.Kind {
	case GQLTypename:
		return quoteLiteral(n.Name) + "::text", nil
	case GQLColumn:
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
	case GQLRelation:
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
		rule := b.viewCond(t)
		obj, err := b.object(t, n.Sub)
		if err != nil {
			return "", err
		}
		from := " FROM " + target.Table() + " " + collections.Quote(tr) + " WHERE "
		if !f.Multi() {
			return "(SELECT " + obj + from + qcol(tr, "id") + " = " + qcol(row, f.Name) + " AND " + rule + ")", nil
		}
		return "COALESCE((SELECT json_agg(" + obj + " ORDER BY array_position(" + qcol(row, f.Name) + ", " + qcol(tr, "id") + "))" +
			from + qcol(tr, "id") + " = ANY(" + qcol(row, f.Name) + ") AND " + rule + "), '[]'::json)", nil
	case GQLBackRelation, GQLBackAggregate:
		other := b.snap.Get(n.Name)
		var f *collections.Field
		if other != nil {
			f = other.Field(n.Field)
		}
		t := b.scope(other, b.newAlias())
		hidden := f == nil || f.Relation == nil || (f.Hidden && !b.p.IsAdmin())
		if hidden && n.Kind == GQLBackRelation {
			return "'[]'::json", nil
		}
		if hidden {
			return b.aggregateObject(t, &GQLListArgs{}, "FALSE", n.Sub) // over no record
		}
		tr := t.opts.Alias
		link := qcol(tr, f.Name) + " = " + qcol(row, "id")
		if f.Multi() {
			// @> can use the GIN index of the multi relation; = ANY cannot.
			link = qcol(tr, f.Name) + " @> ARRAY[" + qcol(row, "id") + "]"
		}
		args := n.Args
		if args == nil {
			args = &GQLListArgs{}
		}
		where, err := b.where(t, args.Where)
		if err != nil {
			return "", err
		}
		cond := link + " AND " + b.viewCond(t) + " AND " + where
		if n.Kind == GQLBackAggregate {
			return b.aggregateObject(t, args, cond, n.Sub)
		}
		return b.list(t, args, cond, n.Sub)
	}
	return "", errors.New("records: unexpected GraphQL selection")
}

// where compiles a where: argument into a condition on sc's row, as a REST
// filter is compiled (boolExp says what it means).
func (b *gqlBuilder) where(sc *scope, w map[string]any) (string, error) {
	e, err := boolExp(sc, w)
	if err != nil || e == nil {
		return "TRUE", err
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

// whereError reports a where: argument the filter language refuses.
func whereError(err error) error {
	var qe *query.Error
	if errors.As(err, &qe) {
		return gqlError("where: %s", qe.Reason)
	}
	return err
}

// gqlError reports a client mistake in a GraphQL argument.
func gqlError(format string, a ...any) error {
	return apierr.New(http.StatusBadRequest, "bad request", format, a...)
}
