package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// depthLimit refuses operations nested deeper than max before they run, so
// a deep query cannot fan out into unbounded work. Complexity bounds width;
// this bounds depth. Introspection's own nesting is exempt.
type depthLimit struct{ max func() int }

var (
	_ graphql.HandlerExtension        = depthLimit{}
	_ graphql.OperationContextMutator = depthLimit{}
)

// Error codes of the limits. Registered as protocol errors, an operation
// refused by a limit is answered like one that fails validation: 422 over
// HTTP (gqlgen otherwise sends 200, for complexity too, despite its docs)
// and an error message, not a result, over websockets.
const (
	codeDepthLimit      = "DEPTH_LIMIT_EXCEEDED"
	codeComplexityLimit = "COMPLEXITY_LIMIT_EXCEEDED" // gqlgen's extension.ComplexityLimit
)

func init() {
	errcode.RegisterErrorType(codeDepthLimit, errcode.KindProtocol)
	errcode.RegisterErrorType(codeComplexityLimit, errcode.KindProtocol)
}

func (depthLimit) ExtensionName() string { return "DepthLimit" }

func (depthLimit) Validate(graphql.ExecutableSchema) error { return nil }

func (d depthLimit) MutateOperationContext(_ context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	limit := d.max()
	if limit <= 0 || oc.Operation == nil {
		return nil
	}
	if depth := selectionDepth(oc.Operation.SelectionSet, 0); depth > limit {
		err := gqlerror.Errorf("operation is nested %d levels deep, more than the limit of %d", depth, limit)
		err.Extensions = map[string]any{"code": codeDepthLimit}
		return err
	}
	return nil
}

// selectionDepth is the deepest field nesting under set. Fragments count by
// what they contain; seen guards against the cycles validation also refuses.
func selectionDepth(set ast.SelectionSet, seen int) int {
	if seen > 100 {
		return seen
	}
	deepest := 0
	for _, sel := range set {
		var d int
		switch s := sel.(type) {
		case *ast.Field:
			if len(s.Name) > 1 && s.Name[:2] == "__" {
				continue
			}
			d = 1 + selectionDepth(s.SelectionSet, seen+1)
		case *ast.InlineFragment:
			d = selectionDepth(s.SelectionSet, seen+1)
		case *ast.FragmentSpread:
			if s.Definition != nil {
				d = selectionDepth(s.Definition.SelectionSet, seen+1)
			}
		}
		deepest = max(deepest, d)
	}
	return deepest
}
