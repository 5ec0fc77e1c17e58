package graph

import (
	"github.com/vektah/gqlparser/v2/ast"

	"fastcms/internal/collections"
)

// Operations are one collection's root fields in the schema served for a
// snapshot, in schema order: the API reference page writes its examples
// from them, so they are the fields /graphql serves.
type Operations struct {
	Schema                        *ast.Schema
	Query, Mutation, Subscription []*ast.FieldDefinition
}

// CollectionOperations returns the root fields of the collection name in
// the schema of snap.
func CollectionOperations(snap *collections.Snapshot, name string) (*Operations, error) {
	schema, info, err := buildSchema(snap)
	if err != nil {
		return nil, err
	}
	of := func(root *ast.Definition, match func(field string) bool) []*ast.FieldDefinition {
		var out []*ast.FieldDefinition
		if root != nil {
			for _, f := range root.Fields {
				if match(f.Name) {
					out = append(out, f)
				}
			}
		}
		return out
	}
	inOps := func(ops map[string]rootOp) func(string) bool {
		return func(f string) bool { op, ok := ops[f]; return ok && op.coll.Name == name }
	}
	return &Operations{
		Schema:   schema,
		Query:    of(schema.Query, inOps(info.query)),
		Mutation: of(schema.Mutation, inOps(info.mutation)),
		Subscription: of(schema.Subscription, func(f string) bool {
			c := info.subscription[f]
			return (c != nil && c.Name == name) || inOps(info.live)(f)
		}),
	}, nil
}

// StaticSchema is the schema served with no collection: the root fields
// of schema.graphqls, as the API reference page lists them.
func StaticSchema() *ast.Schema {
	schema, _, err := buildSchema(emptySnapshot)
	if err != nil {
		panic(err) // schema.graphqls is loaded at init; it cannot fail here
	}
	return schema
}
