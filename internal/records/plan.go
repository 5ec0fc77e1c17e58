package records

import "fastcms/internal/query"

// A read plan says what to read, in no protocol's terms: which records of
// which collection (Rows: a filter in the filter language's AST, order
// keys, a page), and which members to render for each (Member: columns,
// relations with their own rows and members, aggregates). The adapters
// translate into it (graph/plan.go its selections and Hasura arguments); the
// renderer (render.go) turns a plan into ONE parameterised statement that
// returns the whole answer as JSON, every related record under its
// collection's view rule for the caller.
//
// REST's lists, gets and CSV export translate into it too (restplan.go).
// Errors about a plan's parts name them neutrally (plan_errors.go); each
// adapter names them in its own terms.

// MemberKind says what a member is; which kinds may appear depends on the
// object it is in (a record, an aggregate, a connection…).
type MemberKind int

// Member kinds.
const (
	Typename      MemberKind = iota // a constant: Name
	Column                          // id, created, updated or a data field Name
	Relation                        // forward relation field Name; Sub is the target's members
	BackRelation                    // records of collection Name whose relation Field points here; Rows apply
	Count                           // aggregate: count
	AggFunc                         // aggregate: Name is sum, avg, min or max; Sub lists Column
	Aggregate                       // the aggregates of a list; Sub holds Count/AggFunc
	Nodes                           // the records of an aggregated list; Sub is a record's members
	Edges                           // a page's edges; Sub holds Cursor/Node
	Cursor                          // an edge's cursor
	Node                            // an edge's record; Sub is a record's members
	PageInfo                        // a page's position; Sub holds PageField
	PageField                       // Name is has_next_page, has_previous_page, start_cursor or end_cursor
	TotalCount                      // a page's total count
	AffectedRows                    // a write's count of records
	Returning                       // a write's records; Sub is a record's members
	BackAggregate                   // aggregates of the records of collection Name whose relation Field points here; Rows apply
	Files                           // the files of file field Field (render_files.go); Sub selects members of the file type
	Object                          // an object of the same record's members Sub (REST's "data")
	Expand                          // an object of the relations Sub (Relation, BackRelation, Files) leaving out those null or empty; null without Sub (REST's "expand")
)

// Member is one rendered member: its key in the object, what it is, and
// its own members.
type Member struct {
	Key   string
	Kind  MemberKind
	Name  string
	Field string
	Rows  *Rows
	Sub   []Member
}

// Rows selects, orders and pages the records of a list.
type Rows struct {
	// Where is a filter over the listed collection's fields as the caller
	// sees them (nil: every record); it compiles as a REST filter does.
	Where query.Expr
	// Order is the order; the id is added to break ties (in the last key's
	// direction), and with no key the order is created, then id.
	Order      []SortKey
	DistinctOn []string
	Limit      *int
	Offset     *int
	Search     string
	// Keyset paging (a connection).
	First, Last   *int
	After, Before *string
}

// SortKey is one key of an order.
//
//	{Path: ["title"]}                                   a field
//	{Path: ["author", "name"]}                          a forward single relation's target field
//	{Path: ["posts_via_author"], Agg: "count"}          how many records point here
//	{Path: ["posts_via_author", "views"], Agg: "max"}   an aggregate over them
//	{Rank: true}                                        the search rank (a root list with search)
//	{Random: true}                                      a random order (the only key)
//
// Related values are read under the target's view rule, as a member is.
type SortKey struct {
	Path       []string
	Agg        string
	Rank       bool
	Random     bool
	Desc       bool
	NullsFirst bool
}

// OpKind is the kind of an operation on a collection.
type OpKind int

// Operation kinds.
const (
	ReadList OpKind = iota
	ReadByID
	ReadAggregate
	ReadConnection
	InsertOne
	Insert
	UpdateByID
	UpdateWhere
	DeleteByID
	DeleteWhere
	UpdateMany
	ReadCount // how many records Rows selects (its Where and Search), as a JSON number
)

// Op is one operation on a collection: a read plan (Rows and Members), or
// a write whose changed records are rendered with Members.
type Op struct {
	Kind       OpKind
	Collection string
	Rows       Rows
	ID         string
	Objects    []map[string]any // insert, with JSON values
	Set, Inc   map[string]any   // update, with JSON values
	AtMost     int              // bulk update and delete
	// Updates are the updates of UpdateMany, in order: each an UpdateWhere
	// with its Rows.Where, Set and Inc (Kind, AtMost and Members are set by
	// the UpdateMany itself).
	Updates []Op
	Members []Member
}

// MaxLimit caps a list's limit (and the rows of a list without one).
const MaxLimit = 1000
