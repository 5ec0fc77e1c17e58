package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// codeIntrospectionOff refuses __schema and __type when introspection is
// turned off (GRAPHQL_INTROSPECTION=false); a protocol error, so HTTP
// answers it like a validation failure instead of a masked internal error.
const codeIntrospectionOff = "INTROSPECTION_DISABLED"

func init() { errcode.RegisterErrorType(codeIntrospectionOff, errcode.KindProtocol) }

// noIntrospection refuses operations that read the schema before they run.
type noIntrospection struct{}

var (
	_ graphql.HandlerExtension        = noIntrospection{}
	_ graphql.OperationContextMutator = noIntrospection{}
)

func (noIntrospection) ExtensionName() string { return "NoIntrospection" }

func (noIntrospection) Validate(graphql.ExecutableSchema) error { return nil }

func (noIntrospection) MutateOperationContext(_ context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if oc.Operation != nil && readsSchema(oc.Operation.SelectionSet, 0) {
		err := gqlerror.Errorf("introspection is disabled on this server")
		err.Extensions = map[string]any{"code": codeIntrospectionOff}
		return err
	}
	return nil
}

// readsSchema finds __schema or __type anywhere in set (fragments too;
// __typename is allowed).
func readsSchema(set ast.SelectionSet, depth int) bool {
	if depth > 100 {
		return false
	}
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			if s.Name == "__schema" || s.Name == "__type" || readsSchema(s.SelectionSet, depth+1) {
				return true
			}
		case *ast.InlineFragment:
			if readsSchema(s.SelectionSet, depth+1) {
				return true
			}
		case *ast.FragmentSpread:
			if s.Definition != nil && readsSchema(s.Definition.SelectionSet, depth+1) {
				return true
			}
		}
	}
	return false
}
