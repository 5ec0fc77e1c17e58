package graph

import (
	"context"
	"math"

	"github.com/vektah/gqlparser/v2/ast"

	"fastcms/internal/records"
)

// Complexity prices the run-time schema's fields for the complexity limit
// by the rows their SQL may fetch, so that a list of lists is refused
// unless it asks for few items:
//   - a pageable list (one with a limit argument: a collection, a
//     back-relation) costs its limit times what each item selects; without
//     a limit it fetches records.MaxLimit rows, and is priced so;
//   - X_connection costs its page (first or last, else MaxLimit) times
//     its selection (edges, page_info and total_count together: the page
//     is fetched whatever is selected);
//   - X_aggregate's nodes cost MaxLimit times their selection; given a
//     limit, X_aggregate scales its selection down to that many rows (its
//     aggregates are a handful of scalars).
//
// Every other field costs one plus its selection, gqlgen's default.
func (s *routedSchema) Complexity(ctx context.Context, typeName, field string, child int, args map[string]any) (int, bool) {
	if c, ok := s.ExecutableSchema.Complexity(ctx, typeName, field, child, args); ok {
		return c, true
	}
	schema := s.Schema()
	def := schema.Types[typeName]
	if def == nil {
		return 0, false
	}
	fd := def.Fields.ForName(field)
	if fd == nil {
		return 0, false
	}
	rows := func(names ...string) int {
		for _, name := range names {
			if n, ok := whole(args[name]); ok {
				return min(n, records.MaxLimit)
			}
		}
		return records.MaxLimit
	}
	switch {
	case fd.Type.Elem != nil && fd.Arguments.ForName("limit") != nil:
		return listCost(rows("limit"), child), true
	case fd.Type.Elem == nil && isConnection(schema.Types[fd.Type.Name()]):
		return listCost(rows("first", "last"), child), true
	case fd.Type.Elem == nil && isAggregate(schema.Types[fd.Type.Name()]):
		if fd.Arguments.ForName("limit") == nil || args["limit"] == nil {
			return 0, false // nodes are priced at MaxLimit
		}
		scaled := math.Ceil(float64(child) * float64(rows("limit")) / records.MaxLimit)
		return int(min(scaled+1, math.MaxInt32)), true
	case fd.Type.Elem != nil && field == "nodes" && isAggregate(def):
		return listCost(records.MaxLimit, child), true
	}
	return 0, false // gqlgen's default
}

// listCost is the price of size rows of a selection that costs child.
func listCost(size, child int) int {
	cost := float64(size)*float64(max(child, 1)) + 1
	return int(min(cost, math.MaxInt32))
}

// isConnection tells an X_connection type by its shape.
func isConnection(def *ast.Definition) bool {
	return def != nil && def.Fields.ForName("edges") != nil && def.Fields.ForName("page_info") != nil
}

// isAggregate tells an X_aggregate type by its shape.
func isAggregate(def *ast.Definition) bool {
	return def != nil && def.Fields.ForName("nodes") != nil && def.Fields.ForName("aggregate") != nil
}

// whole reads a non-negative whole number argument as gqlgen decodes it.
func whole(v any) (int, bool) {
	switch n := v.(type) {
	case int:
		return max(n, 0), true
	case int64:
		return int(max(min(n, math.MaxInt32), 0)), true
	case float64:
		return int(max(min(n, math.MaxInt32), 0)), true
	}
	return 0, false
}
