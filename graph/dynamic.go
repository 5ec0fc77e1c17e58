package graph

import (
	"context"
	"errors"
	"net/http"
	"sync/atomic"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"fastcms/graph/model"
	"fastcms/internal/apierr"
	"fastcms/internal/collections"
	"fastcms/internal/records"
)

// A generation is everything that serves one version of the collection
// set: the merged schema, the executable schema over it, the wrapper that
// routes collection fields to the carriers, and a complete handler.Server
// with its own query cache and extension instances. A request (or a
// websocket, for its whole life) takes one generation and keeps it.
type generation struct {
	snap    *collections.Snapshot
	info    *dynInfo
	handler http.Handler
	records *records.Service
	srv     *dynamicServer
}

type generationKey struct{}

// dynamicServer swaps generations as the collection set changes.
type dynamicServer struct {
	o    Options
	cur  atomic.Pointer[generation]
	subs subscriptions
	live liveGroups
}

func (s *dynamicServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	g := s.cur.Load()
	g.handler.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), generationKey{}, g)))
}

// build makes the generation of snap.
func (s *dynamicServer) build(snap *collections.Snapshot) (*generation, error) {
	schema, info, err := buildSchema(snap)
	if err != nil {
		return nil, err
	}
	inner := NewExecutableSchema(Config{Resolvers: s.o.Resolvers, Schema: schema})
	es := &routedSchema{ExecutableSchema: inner, known: map[ast.Operation]map[string]bool{
		ast.Query: rootNames(parsedSchema.Query), ast.Mutation: rootNames(parsedSchema.Mutation),
		ast.Subscription: rootNames(parsedSchema.Subscription),
	}}
	return &generation{snap: snap, info: info, handler: newHandler(es, s.o), records: s.o.Records, srv: s}, nil
}

// publish stores g unless a newer generation is already there.
func (s *dynamicServer) publish(g *generation) {
	for {
		old := s.cur.Load()
		if old != nil && old.snap.Version >= g.snap.Version {
			return
		}
		if s.cur.CompareAndSwap(old, g) {
			return
		}
	}
}

// follow builds the first generation and keeps up with the registry.
func (s *dynamicServer) follow() {
	svc := s.o.Collections
	reg := svc.Registry()
	update := func(snap *collections.Snapshot) {
		g, err := s.build(snap)
		if err != nil {
			// Check refuses clashes, so only a change made by an instance
			// running other code gets here: keep serving the last schema.
			s.o.Log.Error("building the GraphQL schema", "version", snap.Version, "err", err)
			return
		}
		s.publish(g)
		s.subs.changed(snap)
	}
	reg.OnChange(update)
	update(reg.Current())
	if s.cur.Load() == nil {
		// The stored collections clash with this code's schema: serve the
		// static schema alone rather than nothing.
		g, _ := s.build(emptySnapshot)
		s.cur.Store(g)
	}
}

// CheckSchema refuses a collection set whose GraphQL schema would not
// build (a name that clashes); the collections service runs it on every
// change before it commits (collections.Options.Check).
func CheckSchema(snap *collections.Snapshot) error {
	if _, _, err := buildSchema(snap); err != nil {
		return apierr.Conflict("the collection clashes with the GraphQL schema: %s", err.Error())
	}
	return nil
}

var emptySnapshot = &collections.Snapshot{}

func rootNames(def *ast.Definition) map[string]bool {
	names := map[string]bool{"__typename": true, "__schema": true, "__type": true}
	if def != nil {
		for _, f := range def.Fields {
			names[f.Name] = true
		}
	}
	return names
}

// routedSchema is the generated executable schema with the run-time
// schema's root fields routed to the carriers: each root field the
// compiled root does not know becomes _dyn (nullable) or _dyn_nn, keeping
// its alias, arguments, directives, selection and Definition, so the
// generated executor runs the whole operation (order, aliases, nulls,
// errors, serial mutations). The parsed document is cached and shared, so
// the rewrite copies what it changes and never mutates it.
type routedSchema struct {
	graphql.ExecutableSchema
	known map[ast.Operation]map[string]bool
}

func (s *routedSchema) Exec(ctx context.Context) graphql.ResponseHandler {
	oc := graphql.GetOperationContext(ctx)
	routed := s.route(oc)
	if routed == oc {
		return s.ExecutableSchema.Exec(ctx)
	}
	h := s.ExecutableSchema.Exec(graphql.WithOperationContext(ctx, routed))
	return func(ctx context.Context) *graphql.Response {
		return h(graphql.WithOperationContext(ctx, routed))
	}
}

// route returns oc, or a copy whose operation and root fragments have
// their collection fields routed to the carriers.
func (s *routedSchema) route(oc *graphql.OperationContext) *graphql.OperationContext {
	op := oc.Operation
	known := s.known[op.Operation]
	if known == nil {
		return oc
	}
	rootType := map[ast.Operation]string{ast.Query: "Query", ast.Mutation: "Mutation", ast.Subscription: "Subscription"}[op.Operation]
	set, changed := routeSet(op.SelectionSet, known)
	frags := make(ast.FragmentDefinitionList, len(oc.Doc.Fragments))
	for i, f := range oc.Doc.Fragments {
		frags[i] = f
		if f.TypeCondition != rootType {
			continue
		}
		if fs, ok := routeSet(f.SelectionSet, known); ok {
			cp := *f
			cp.SelectionSet = fs
			frags[i] = &cp
			changed = true
		}
	}
	if !changed {
		return oc
	}
	opCopy := *op
	opCopy.SelectionSet = set
	doc := *oc.Doc
	doc.Fragments = frags
	doc.Operations = make(ast.OperationList, len(oc.Doc.Operations))
	for i, o := range oc.Doc.Operations {
		doc.Operations[i] = o
		if o == op {
			doc.Operations[i] = &opCopy
		}
	}
	return &graphql.OperationContext{
		RawQuery: oc.RawQuery, Variables: oc.Variables, OperationName: oc.OperationName, Doc: &doc,
		Extensions: oc.Extensions, Headers: oc.Headers, Operation: &opCopy,
		DisableIntrospection: oc.DisableIntrospection, RecoverFunc: oc.RecoverFunc,
		ResolverMiddleware: oc.ResolverMiddleware, RootResolverMiddleware: oc.RootResolverMiddleware, Stats: oc.Stats,
	}
}

// routeSet routes the unknown fields of a root selection set, also inside
// inline fragments; it returns the set unchanged (and false) when there is
// nothing to route.
func routeSet(set ast.SelectionSet, known map[string]bool) (ast.SelectionSet, bool) {
	var out ast.SelectionSet
	for i, sel := range set {
		var repl ast.Selection
		switch s := sel.(type) {
		case *ast.Field:
			if !known[s.Name] {
				cp := *s
				if cp.Alias == "" {
					cp.Alias = s.Name
				}
				cp.Name = carrier
				if s.Definition != nil && s.Definition.Type.NonNull {
					cp.Name = carrierNonNull
				}
				repl = &cp
			}
		case *ast.InlineFragment:
			if inner, ok := routeSet(s.SelectionSet, known); ok {
				cp := *s
				cp.SelectionSet = inner
				repl = &cp
			}
		}
		if repl != nil && out == nil {
			out = make(ast.SelectionSet, len(set))
			copy(out, set[:i])
		}
		if out != nil {
			if repl == nil {
				repl = sel
			}
			out[i] = repl
		}
	}
	if out == nil {
		return set, false
	}
	return out, true
}

// ResolveDynamic resolves a carrier field: the collection field it stands
// for (its Definition), with its arguments and selection, as one JSON value.
func ResolveDynamic(ctx context.Context) (model.DynamicResult, error) {
	g, _ := ctx.Value(generationKey{}).(*generation)
	fc := graphql.GetFieldContext(ctx)
	oc := graphql.GetOperationContext(ctx)
	if g == nil || fc == nil || fc.Field.Definition == nil {
		return nil, errors.New("graph: a carrier field outside a generation")
	}
	def := fc.Field.Definition
	ops := g.info.query
	if oc.Operation.Operation == ast.Mutation {
		ops = g.info.mutation
	}
	root, ok := ops[def.Name]
	if !ok {
		return nil, errors.New("graph: unknown collection field " + def.Name)
	}
	args := fc.Field.ArgumentMap(oc.Variables)
	rows, err := g.rows(ctx, root.coll, args)
	if err != nil {
		return nil, err
	}
	op := records.Op{Kind: root.kind, Collection: root.coll.Name, Rows: rows}
	if op.Members, err = g.selection(ctx, oc, fc.Field.Selections, def.Type.Name()); err != nil {
		return nil, err
	}
	switch root.kind {
	case records.ReadByID, records.DeleteByID:
		op.ID, _ = args["id"].(string)
	case records.InsertOne:
		obj, _ := args["object"].(map[string]any)
		op.Objects = []map[string]any{plainData(obj)}
	case records.Insert:
		list, _ := args["objects"].([]any)
		if m, ok := args["objects"].(map[string]any); ok {
			list = []any{m}
		}
		for _, o := range list {
			m, _ := o.(map[string]any)
			op.Objects = append(op.Objects, plainData(m))
		}
	case records.UpdateByID:
		pk, _ := args["pk_columns"].(map[string]any)
		op.ID, _ = pk["id"].(string)
	case records.UpdateMany:
		list, _ := args["updates"].([]any)
		if m, ok := args["updates"].(map[string]any); ok {
			list = []any{m} // a single value where a list is expected
		}
		for _, u := range list {
			m, _ := u.(map[string]any)
			upd := records.Op{}
			w, _ := m["where"].(map[string]any)
			if upd.Rows, err = g.rows(ctx, root.coll, map[string]any{"where": w}); err != nil {
				return nil, err
			}
			set, _ := m["_set"].(map[string]any)
			inc, _ := m["_inc"].(map[string]any)
			upd.Set, upd.Inc = plainData(set), plainData(inc)
			op.Updates = append(op.Updates, upd)
		}
	}
	set, _ := args["_set"].(map[string]any)
	inc, _ := args["_inc"].(map[string]any)
	op.Set, op.Inc = plainData(set), plainData(inc)
	if n, ok := intArg(args["at_most"]); ok {
		op.AtMost = *n
	}
	out, err := g.records.Do(ctx, g.snap, op)
	if err != nil || out == nil {
		return nil, err
	}
	return model.DynamicResult(out), nil
}
