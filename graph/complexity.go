package graph

import (
	"context"
	"math"
)

// defaultListSize prices a run-time list asked for without a limit.
const defaultListSize = 10

// Complexity prices the run-time schema's fields for the complexity limit:
// a pageable field (one with a limit argument: a collection, a
// back-relation, their aggregates, whose nodes the limit pages) costs its
// limit (defaultListSize without one) times what each item selects, so a
// list of lists is refused unless it asks for few items. Every other field
// costs one plus its selection, gqlgen's default.
func (s *routedSchema) Complexity(ctx context.Context, typeName, field string, child int, args map[string]any) (int, bool) {
	if c, ok := s.ExecutableSchema.Complexity(ctx, typeName, field, child, args); ok {
		return c, true
	}
	def := s.Schema().Types[typeName]
	if def == nil {
		return 0, false
	}
	fd := def.Fields.ForName(field)
	if fd == nil || fd.Arguments.ForName("limit") == nil {
		return 0, false // not pageable: gqlgen's default
	}
	size := defaultListSize
	if n, ok := whole(args["limit"]); ok {
		size = n
	}
	cost := float64(size)*float64(max(child, 1)) + 1
	return int(min(cost, math.MaxInt32)), true
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
