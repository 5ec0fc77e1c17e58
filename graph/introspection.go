package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// codeIntrospectionOff refuses __schema and __type when introspection is
// turned off (the setting graphql_introspection); a protocol error, so HTTP
// answers it like a validation failure instead of a masked internal error.
const codeIntrospectionOff = "INTROSPECTION_DISABLED"

func init() { errcode.RegisterErrorType(codeIntrospectionOff, errcode.KindProtocol) }

// schemaAccess lets an operation read the schema while on() says so (as
// gqlgen's extension.Introspection does), and otherwise refuses one that
// reads it before it runs.
type schemaAccess struct{ on func() bool }

var (
	_ graphql.HandlerExtension        = schemaAccess{}
	_ graphql.OperationContextMutator = schemaAccess{}
)

func (schemaAccess) ExtensionName() string { return "Introspection" }

func (schemaAccess) Validate(graphql.ExecutableSchema) error { return nil }

func (i schemaAccess) MutateOperationContext(_ context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if i.on() {
		oc.DisableIntrospection = false
		return nil
	}
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
