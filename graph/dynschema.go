package graph

import (
	"errors"
	"fmt"
	"strings"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"fastcms/internal/collections"
	"fastcms/internal/records"
)

// The run-time part of the schema: for every collection, the types and root
// fields of spec/graphql-api.md (Hasura v2 naming), written as SDL and
// loaded with the static schema through gqlparser, which also reports any
// name clash.

// Carrier fields: declared in schema.graphqls, stripped from the served
// schema, and the target of every collection root field (see rewrite).
const (
	carrier        = "_dyn"
	carrierNonNull = "_dyn_nn"
	carrierScalar  = "DynamicResult"
)

// typeRole says what a run-time object type is, to read a selection of it.
type typeRole int

const (
	roleRecord typeRole = iota
	roleAggregate
	roleAggregateFields
	roleAggregateFunc
	roleConnection
	roleEdge
	rolePageInfo
	roleMutationResponse
	roleEvent
)

type typeInfo struct {
	role typeRole
	coll *collections.Collection
	fn   string // sum, avg, min or max, for roleAggregateFunc
}

// rootOp is what a run-time root field does.
type rootOp struct {
	kind records.OpKind
	coll *collections.Collection
}

// backRelation is a field <other>_via_<field> of a record type, or its
// <other>_via_<field>_aggregate when aggregate is true.
type backRelation struct {
	other     *collections.Collection
	field     string
	aggregate bool
}

// dynInfo indexes the run-time schema for the carrier resolver.
type dynInfo struct {
	types    map[string]typeInfo
	query    map[string]rootOp
	mutation map[string]rootOp
	// subscription maps <collection>_mutated to its collection.
	subscription map[string]*collections.Collection
	// live maps the live queries of Subscription (X, X_by_pk,
	// X_aggregate) to what they run, as the Query fields of the same name.
	live map[string]rootOp
	back map[string]map[string]backRelation // record type → field → relation
	// files maps record type → file metadata member → file field (dynfiles.go).
	files map[string]map[string]string
}

// prelude holds the run-time schema's shared types.
const prelude = `
"Calendar date, YYYY-MM-DD."
scalar date

"Sort direction; asc puts NULLs last and desc first unless told otherwise."
enum order_by { asc asc_nulls_first asc_nulls_last desc desc_nulls_first desc_nulls_last }

input String_comparison_exp {
  _eq: String _neq: String _gt: String _gte: String _lt: String _lte: String _in: [String!] _nin: [String!] _is_null: Boolean
  _like: String _nlike: String _ilike: String _nilike: String _regex: String _iregex: String
}
input Float_comparison_exp { _eq: Float _neq: Float _gt: Float _gte: Float _lt: Float _lte: Float _in: [Float!] _nin: [Float!] _is_null: Boolean }
input Boolean_comparison_exp { _eq: Boolean _neq: Boolean _in: [Boolean!] _nin: [Boolean!] _is_null: Boolean }
input timestamptz_comparison_exp {
  _eq: timestamptz _neq: timestamptz _gt: timestamptz _gte: timestamptz _lt: timestamptz _lte: timestamptz
  _in: [timestamptz!] _nin: [timestamptz!] _is_null: Boolean
}
input date_comparison_exp { _eq: date _neq: date _gt: date _gte: date _lt: date _lte: date _in: [date!] _nin: [date!] _is_null: Boolean }
input ID_comparison_exp { _eq: ID _neq: ID _in: [ID!] _nin: [ID!] _is_null: Boolean }
input jsonb_comparison_exp { _contains: jsonb _has_key: String _is_null: Boolean }
input String_array_comparison_exp { _contains: [String!] _contained_in: [String!] _overlaps: [String!] _is_null: Boolean }

"What happened to a record."
enum record_event { INSERT UPDATE DELETE }

type page_info { has_next_page: Boolean! has_previous_page: Boolean! start_cursor: String end_cursor: String }
`

// buildSchema returns the merged schema of snap (carriers stripped) and
// its index, or gqlparser's complaint about a clash.
func buildSchema(snap *collections.Snapshot) (*ast.Schema, *dynInfo, error) {
	sdl, info := collectionSDL(snap)
	srcs := append([]*ast.Source{}, sources...)
	srcs = append(srcs, &ast.Source{Name: "collections.graphql", Input: prelude + sdl})
	schema, err := gqlparser.LoadSchema(srcs...)
	if err != nil {
		var gerr *gqlerror.Error
		if errors.As(err, &gerr) {
			return nil, nil, errors.New(gerr.Message)
		}
		return nil, nil, err
	}
	for _, root := range []*ast.Definition{schema.Query, schema.Mutation, schema.Subscription} {
		if root == nil {
			continue
		}
		kept := root.Fields[:0:0]
		for _, f := range root.Fields {
			if f.Name != carrier && f.Name != carrierNonNull {
				kept = append(kept, f)
			}
		}
		root.Fields = kept
	}
	delete(schema.Types, carrierScalar)
	if schema.Subscription != nil && len(schema.Subscription.Fields) == 0 {
		// No collection: no subscription (an object type needs a field).
		delete(schema.Types, schema.Subscription.Name)
		schema.Subscription = nil
	}
	return schema, info, nil
}

// scalarNames are the GraphQL scalars of the protocol-neutral shapes.
var scalarNames = map[collections.Scalar]string{
	collections.ScalarText: "String", collections.ScalarNumber: "Float", collections.ScalarBool: "Boolean",
	collections.ScalarDate: "date", collections.ScalarDateTime: "timestamptz", collections.ScalarJSON: "jsonb",
	collections.ScalarID: "ID",
}

// gqlType is the output type of a data field ("" for a relation whose
// target is gone): a relation is the related record type.
func gqlType(snap *collections.Snapshot, f *collections.Field) string {
	sh := collections.ShapeOf(f)
	if sh.Target != "" {
		t := snap.Get(sh.Target)
		switch {
		case t == nil:
			return ""
		case sh.List:
			return "[" + t.Name + "!]!"
		}
		return t.Name
	}
	if sh.List {
		return "[" + scalarNames[sh.Scalar] + "!]"
	}
	return scalarNames[sh.Scalar]
}

// minMax reports whether min and max apply to f: a scalar with an order
// (text, email, url, select, number, date, datetime), not a boolean.
func minMax(f *collections.Field) bool {
	sh := collections.ShapeOf(f)
	return sh.Sortable && sh.Target == "" && sh.Scalar != collections.ScalarBool
}

// inputType is the type of a data field in insert and set inputs: a
// relation takes ids.
func inputType(f *collections.Field) string {
	sh := collections.ShapeOf(f)
	if sh.List {
		return "[" + scalarNames[sh.Scalar] + "!]"
	}
	return scalarNames[sh.Scalar]
}

// comparisonType is the where: input of a data field: for a relation, the
// related collection's bool_exp.
func comparisonType(snap *collections.Snapshot, f *collections.Field) string {
	sh := collections.ShapeOf(f)
	switch {
	case sh.Target != "":
		if t := snap.Get(sh.Target); t != nil {
			return t.Name + "_bool_exp"
		}
		return ""
	case sh.List:
		return scalarNames[sh.Scalar] + "_array_comparison_exp"
	}
	return scalarNames[sh.Scalar] + "_comparison_exp"
}

// collectionSDL writes every collection's types and root fields.
func collectionSDL(snap *collections.Snapshot) (string, *dynInfo) {
	info := &dynInfo{types: map[string]typeInfo{}, query: map[string]rootOp{}, mutation: map[string]rootOp{}, subscription: map[string]*collections.Collection{}, live: map[string]rootOp{}, back: map[string]map[string]backRelation{}, files: map[string]map[string]string{}}
	var b strings.Builder
	var query, mutation, subscription strings.Builder
	w := func(sb *strings.Builder, format string, a ...any) { fmt.Fprintf(sb, format, a...) }
	info.types["page_info"] = typeInfo{role: rolePageInfo}

	for _, c := range snap.All() {
		n := c.Name
		info.types[n] = typeInfo{role: roleRecord, coll: c}
		info.back[n] = map[string]backRelation{}

		// The record type.
		w(&b, "\n\"A record of the collection %s.\"\ntype %s {\n  id: ID!\n", n, n)
		var numbers, ordered, writable []*collections.Field
		for _, f := range c.Fields {
			t := gqlType(snap, f)
			if t == "" {
				continue
			}
			w(&b, "  %s: %s\n", f.Name, t)
			if name, sdl := fileMember(f); name != "" {
				if info.files[n] == nil {
					info.files[n] = map[string]string{}
				}
				info.files[n][name] = f.Name
				b.WriteString(sdl)
			}
			writable = append(writable, f)
			if collections.ShapeOf(f).Numeric {
				numbers = append(numbers, f)
			}
			if minMax(f) {
				ordered = append(ordered, f)
			}
		}
		w(&b, "  created: timestamptz!\n  updated: timestamptz!\n")
		var backs []string // back-relation names, in schema order
		for _, other := range snap.All() {
			for _, f := range other.Fields {
				if f.Relation == nil || f.Relation.CollectionID != c.ID {
					continue
				}
				name := other.Name + "_via_" + f.Name
				info.back[n][name] = backRelation{other: other, field: f.Name}
				backs = append(backs, name)
				w(&b, "  \"Records of %s whose %s points here.\"\n", other.Name, f.Name)
				w(&b, "  %s(where: %s_bool_exp, order_by: [%s_order_by!], distinct_on: [%s_select_column!], limit: Int, offset: Int): [%s!]!\n", name, other.Name, other.Name, other.Name, other.Name)
				info.back[n][name+"_aggregate"] = backRelation{other: other, field: f.Name, aggregate: true}
				w(&b, "  \"Aggregates of the records of %s whose %s points here.\"\n", other.Name, f.Name)
				w(&b, "  %s_aggregate(where: %s_bool_exp, order_by: [%s_order_by!], limit: Int, offset: Int): %s_aggregate!\n", name, other.Name, other.Name, other.Name)
			}
		}
		b.WriteString("}\n")

		// where: and order_by.
		w(&b, "\ninput %s_bool_exp {\n  _and: [%s_bool_exp!]\n  _or: [%s_bool_exp!]\n  _not: %s_bool_exp\n  id: ID_comparison_exp\n", n, n, n, n)
		for _, f := range c.Fields {
			if t := comparisonType(snap, f); t != "" {
				w(&b, "  %s: %s\n", f.Name, t)
			}
		}
		for _, name := range backs {
			back := info.back[n][name]
			w(&b, "  \"Some record of %s whose %s points here matches.\"\n  %s: %s_bool_exp\n", back.other.Name, back.field, name, back.other.Name)
		}
		b.WriteString("  created: timestamptz_comparison_exp\n  updated: timestamptz_comparison_exp\n}\n")
		// order_by: the sortable fields, a forward relation's target fields
		// (as Hasura's object relationships) and the aggregates of the
		// back-relations (as its array relationships).
		w(&b, "\ninput %s_order_by {\n  id: order_by\n", n)
		for _, f := range c.Fields {
			sh := collections.ShapeOf(f)
			switch t := snap.Get(sh.Target); {
			case sh.Sortable:
				w(&b, "  %s: order_by\n", f.Name)
			case sh.Target != "" && !sh.List && t != nil:
				w(&b, "  \"Orders by the related record's fields (NULL where there is none the caller may view).\"\n  %s: %s_order_by\n", f.Name, t.Name)
			}
		}
		for _, other := range snap.All() {
			for _, f := range other.Fields {
				if f.Relation != nil && f.Relation.CollectionID == c.ID {
					w(&b, "  %s_via_%s_aggregate: %s_aggregate_order_by\n", other.Name, f.Name, other.Name)
				}
			}
		}
		b.WriteString("  created: order_by\n  updated: order_by\n  \"The search rank (best first with desc); only in a list given search.\"\n  _rank: order_by\n}\n")
		w(&b, "\n\"Columns of %s for distinct_on.\"\nenum %s_select_column {\n  id\n", n, n)
		for _, f := range writable {
			w(&b, "  %s\n", f.Name)
		}
		b.WriteString("  created\n  updated\n}\n")

		// Aggregates.
		info.types[n+"_aggregate"] = typeInfo{role: roleAggregate, coll: c}
		info.types[n+"_aggregate_fields"] = typeInfo{role: roleAggregateFields, coll: c}
		w(&b, "\ntype %s_aggregate {\n  aggregate: %s_aggregate_fields\n  nodes: [%s!]!\n}\n", n, n, n)
		// sum and avg over numbers; min and max over every field with an
		// order (minMax) and the timestamps, as Hasura's _min_fields.
		w(&b, "\ntype %s_aggregate_fields {\n  count: Int!\n", n)
		fns := []string{"min", "max"}
		if len(numbers) > 0 {
			fns = []string{"sum", "avg", "min", "max"}
		}
		for _, fn := range fns {
			w(&b, "  %s: %s_%s_fields\n", fn, n, fn)
		}
		b.WriteString("}\n")
		w(&b, "\ninput %s_aggregate_order_by {\n  count: order_by\n", n)
		for _, fn := range fns {
			w(&b, "  %s: %s_%s_order_by\n", fn, n, fn)
		}
		b.WriteString("}\n")
		for _, fn := range fns {
			w(&b, "\ninput %s_%s_order_by {\n", n, fn)
			list := ordered
			if fn == "sum" || fn == "avg" {
				list = numbers
			}
			for _, f := range list {
				w(&b, "  %s: order_by\n", f.Name)
			}
			if fn == "min" || fn == "max" {
				b.WriteString("  created: order_by\n  updated: order_by\n")
			}
			b.WriteString("}\n")
		}
		for _, fn := range fns {
			info.types[n+"_"+fn+"_fields"] = typeInfo{role: roleAggregateFunc, coll: c, fn: fn}
			w(&b, "\ntype %s_%s_fields {\n", n, fn)
			if fn == "sum" || fn == "avg" {
				for _, f := range numbers {
					w(&b, "  %s: Float\n", f.Name)
				}
			} else {
				for _, f := range ordered {
					w(&b, "  %s: %s\n", f.Name, gqlType(snap, f))
				}
				b.WriteString("  created: timestamptz\n  updated: timestamptz\n")
			}
			b.WriteString("}\n")
		}

		// Connections.
		info.types[n+"_connection"] = typeInfo{role: roleConnection, coll: c}
		info.types[n+"_edge"] = typeInfo{role: roleEdge, coll: c}
		w(&b, "\ntype %s_connection {\n  edges: [%s_edge!]!\n  page_info: page_info!\n  total_count: Int!\n}\n", n, n)
		w(&b, "\ntype %s_edge {\n  cursor: String!\n  node: %s!\n}\n", n, n)

		// Events.
		info.types[n+"_event"] = typeInfo{role: roleEvent, coll: c}
		w(&b, "\n\"A change of a record of %s: data is the record after it (null for a DELETE or when no longer visible), old before it.\"\n", n)
		w(&b, "type %s_event {\n  \"position in the event log: pass the last one seen as after_seq to resume\"\n  seq: String!\n  event: record_event!\n  id: ID!\n  data: %s\n  old: %s\n}\n", n, n, n)
		w(&subscription, "  \"Changes of %s records the caller may view, in commit order; after_seq replays from the event log first.\"\n", n)
		w(&subscription, "  %s_mutated(where: %s_bool_exp, events: [record_event!], after_seq: String): %s_event!\n", n, n, n)
		info.subscription[n+"_mutated"] = c

		// Mutation inputs and response.
		info.types[n+"_mutation_response"] = typeInfo{role: roleMutationResponse, coll: c}
		w(&b, "\ntype %s_mutation_response {\n  affected_rows: Int!\n  returning: [%s!]!\n}\n", n, n)
		w(&b, "\ninput %s_pk_columns_input {\n  id: ID!\n}\n", n)
		for _, kind := range []string{"insert", "set"} {
			if len(writable) == 0 {
				break
			}
			w(&b, "\ninput %s_%s_input {\n", n, kind)
			for _, f := range writable {
				w(&b, "  %s: %s\n", f.Name, inputType(f))
			}
			b.WriteString("}\n")
		}
		if len(numbers) > 0 {
			w(&b, "\ninput %s_inc_input {\n", n)
			for _, f := range numbers {
				w(&b, "  %s: Float\n", f.Name)
			}
			b.WriteString("}\n")
		}

		// Root fields.
		list := fmt.Sprintf("where: %s_bool_exp, order_by: [%s_order_by!]", n, n)
		w(&query, "  %s(%s, distinct_on: [%s_select_column!], limit: Int, offset: Int, search: String): [%s!]!\n", n, list, n, n)
		w(&query, "  %s_by_pk(id: ID!): %s\n", n, n)
		w(&query, "  %s_aggregate(%s, limit: Int, offset: Int, search: String): %s_aggregate!\n", n, list, n)
		w(&query, "  %s_connection(%s, search: String, first: Int, after: String, last: Int, before: String): %s_connection!\n", n, list, n)
		info.query[n] = rootOp{records.ReadList, c}
		info.query[n+"_by_pk"] = rootOp{records.ReadByID, c}
		info.query[n+"_aggregate"] = rootOp{records.ReadAggregate, c}
		info.query[n+"_connection"] = rootOp{records.ReadConnection, c}

		// Live queries: the Query fields, re-run on changes (graph/live.go).
		w(&subscription, "  \"Live query: %s as on Query, sent again whenever its result changes.\"\n", n)
		w(&subscription, "  %s(%s, distinct_on: [%s_select_column!], limit: Int, offset: Int, search: String): [%s!]!\n", n, list, n, n)
		w(&subscription, "  \"Live query: %s_by_pk as on Query, sent again whenever its result changes.\"\n", n)
		w(&subscription, "  %s_by_pk(id: ID!): %s\n", n, n)
		w(&subscription, "  \"Live query: %s_aggregate as on Query, sent again whenever its result changes.\"\n", n)
		w(&subscription, "  %s_aggregate(where: %s_bool_exp, search: String): %s_aggregate!\n", n, n, n)
		info.live[n] = rootOp{records.ReadList, c}
		info.live[n+"_by_pk"] = rootOp{records.ReadByID, c}
		info.live[n+"_aggregate"] = rootOp{records.ReadAggregate, c}

		updates := ""
		if len(writable) > 0 {
			updates = fmt.Sprintf(", _set: %s_set_input", n)
		}
		if len(numbers) > 0 {
			updates += fmt.Sprintf(", _inc: %s_inc_input", n)
		}
		if len(writable) > 0 {
			// X_updates has no at_most (as in Hasura): each update gets the
			// default one, records.DefaultAtMost.
			w(&b, "\ninput %s_updates {\n  where: %s_bool_exp!\n  _set: %s_set_input\n", n, n, n)
			if len(numbers) > 0 {
				w(&b, "  _inc: %s_inc_input\n", n)
			}
			b.WriteString("}\n")
			w(&mutation, "  insert_%s_one(object: %s_insert_input!): %s\n", n, n, n)
			w(&mutation, "  \"At most 100 objects, in one transaction.\"\n  insert_%s(objects: [%s_insert_input!]!): %s_mutation_response\n", n, n, n)
			w(&mutation, "  update_%s_by_pk(pk_columns: %s_pk_columns_input!%s): %s\n", n, n, updates, n)
			w(&mutation, "  \"Fails whole, changing nothing, when more than at_most records match.\"\n")
			w(&mutation, "  update_%s(where: %s_bool_exp!%s, at_most: Int = 100): %s_mutation_response\n", n, n, updates, n)
			info.mutation["insert_"+n+"_one"] = rootOp{records.InsertOne, c}
			info.mutation["insert_"+n] = rootOp{records.Insert, c}
			info.mutation["update_"+n+"_by_pk"] = rootOp{records.UpdateByID, c}
			info.mutation["update_"+n] = rootOp{records.UpdateWhere, c}
			w(&mutation, "  \"The updates in order, in one transaction: each as update_%s with at_most %d; when one fails, none is made.\"\n", n, records.DefaultAtMost)
			w(&mutation, "  update_%s_many(updates: [%s_updates!]!): [%s_mutation_response]\n", n, n, n)
			info.mutation["update_"+n+"_many"] = rootOp{records.UpdateMany, c}
		}
		w(&mutation, "  delete_%s_by_pk(id: ID!): %s\n", n, n)
		w(&mutation, "  \"Fails whole, deleting nothing, when more than at_most records match.\"\n")
		w(&mutation, "  delete_%s(where: %s_bool_exp!, at_most: Int = 100): %s_mutation_response\n", n, n, n)
		info.mutation["delete_"+n+"_by_pk"] = rootOp{records.DeleteByID, c}
		info.mutation["delete_"+n] = rootOp{records.DeleteWhere, c}
	}
	if query.Len() > 0 {
		b.WriteString("\nextend type Query {\n" + query.String() + "}\n")
	}
	if mutation.Len() > 0 {
		b.WriteString("\nextend type Mutation {\n" + mutation.String() + "}\n")
	}
	if subscription.Len() > 0 {
		b.WriteString("\nextend type Subscription {\n" + subscription.String() + "}\n")
	}
	return b.String(), info
}
