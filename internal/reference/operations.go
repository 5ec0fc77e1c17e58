package reference

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"
)

// gqlOperation is a runnable example of one root field.
type gqlOperation struct {
	Kind        string // query, mutation or subscription
	Field       string
	Signature   string
	Description string
	Document    string
	Variables   string // JSON, "" for none
	Playground  string // the playground URL prefilled with both
}

// sampler gives an example value for an argument (or input field) named
// name of the named type t, or false when there is none (an Upload).
type sampler func(name, t string) (any, bool)

// operation writes an operation that calls f with a variable for every
// required argument and for _set and limit, selecting what f returns.
func operation(schema *ast.Schema, kind string, f *ast.FieldDefinition, sample sampler) (gqlOperation, bool) {
	var decls, args []string
	vars := map[string]any{}
	for _, a := range f.Arguments {
		if !a.Type.NonNull && a.Name != "_set" && a.Name != "limit" {
			continue
		}
		v, ok := sampleOf(schema, a.Name, a.Type, sample, 0)
		if !ok {
			return gqlOperation{}, false
		}
		decls = append(decls, "$"+a.Name+": "+a.Type.String())
		args = append(args, a.Name+": $"+a.Name)
		vars[a.Name] = v
	}
	var b strings.Builder
	b.WriteString(kind + " " + f.Name)
	if len(decls) > 0 {
		b.WriteString("(" + strings.Join(decls, ", ") + ")")
	}
	b.WriteString(" {\n  " + f.Name)
	if len(args) > 0 {
		b.WriteString("(" + strings.Join(args, ", ") + ")")
	}
	b.WriteString(selection(schema, f.Type.Name(), 0, "  "))
	b.WriteString("\n}")
	op := gqlOperation{Kind: kind, Field: f.Name, Signature: signature(f), Description: f.Description, Document: b.String()}
	q := url.Values{"query": {op.Document}}
	if len(vars) > 0 {
		js, _ := json.MarshalIndent(vars, "", "  ")
		op.Variables = string(js)
		q.Set("variables", op.Variables)
	}
	op.Playground = "/playground?" + q.Encode()
	return op, true
}

// sampleOf is an example value of type t: the sampler's for named types,
// else an object of the input type's required fields.
func sampleOf(schema *ast.Schema, name string, t *ast.Type, sample sampler, depth int) (any, bool) {
	if t.Elem != nil {
		v, ok := sampleOf(schema, name, t.Elem, sample, depth)
		return []any{v}, ok
	}
	if v, ok := sample(name, t.NamedType); ok || t.NamedType == "Upload" {
		return v, ok
	}
	def := schema.Types[t.NamedType]
	obj := map[string]any{}
	if def == nil || def.Kind != ast.InputObject || depth > 3 {
		return obj, true
	}
	for _, f := range def.Fields {
		if f.Type.NonNull {
			v, ok := sampleOf(schema, f.Name, f.Type, sample, depth+1)
			if !ok {
				return nil, false
			}
			obj[f.Name] = v
		}
	}
	return obj, true
}

// selection selects the leaves of the object type name and, two levels
// deep, its objects without arguments; aggregates select their count.
func selection(schema *ast.Schema, name string, depth int, indent string) string {
	def := schema.Types[name]
	if def == nil || (def.Kind != ast.Object && def.Kind != ast.Interface) {
		return ""
	}
	if strings.HasSuffix(name, "_aggregate_fields") {
		return " { count }"
	}
	var lines []string
	for _, f := range def.Fields {
		if len(f.Arguments) > 0 || strings.HasPrefix(f.Name, "__") {
			continue
		}
		t := schema.Types[f.Type.Name()]
		if t != nil && (t.Kind == ast.Object || t.Kind == ast.Interface) {
			if depth >= 1 || f.Name == "old" {
				continue
			}
			lines = append(lines, f.Name+selection(schema, t.Name, depth+1, indent+"  "))
			continue
		}
		lines = append(lines, f.Name)
	}
	if len(lines) == 0 {
		return ""
	}
	inner := indent + "  "
	return " {\n" + inner + strings.Join(lines, "\n"+inner) + "\n" + indent + "}"
}

// sampleValue is an example value by GraphQL type and argument name, for
// the static schema.
func sampleValue(name, t string) (any, bool) {
	switch t {
	case "Upload":
		return nil, false
	case "ID":
		return "ID", true
	case "Int":
		return 10, true
	case "Float":
		return 1, true
	case "Boolean":
		return true, true
	case "jsonb":
		return map[string]any{}, true
	case "timestamptz":
		return "2026-01-31T12:00:00.000Z", true
	case "date":
		return "2026-01-31", true
	case "String":
		return sampleString(name), true
	}
	return nil, false
}

func sampleString(name string) string {
	switch {
	case strings.Contains(name, "email"):
		return "ada@example.com"
	case strings.Contains(name, "password"):
		return "secret123"
	case strings.Contains(name, "token"):
		return "TOKEN"
	case name == "provider":
		return "google"
	case name == "url":
		return "https://your-server.com/webhook"
	case name == "collection_name" || name == "name":
		return "posts"
	case name == "key":
		return "maintenance_mode"
	}
	return fmt.Sprintf("%s value", name)
}
