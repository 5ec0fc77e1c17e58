package graph

// The static schema nests at most 3 fields deep (register { user { id } }),
// so the real server's limit of 12 cannot be crossed end to end yet. These
// tests check the depth rule on a synthetic schema that nests without end,
// and the extension through NewServer with a limit the static schema can cross.

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
)

var nodeSchema = gqlparser.MustLoadSchema(&ast.Source{Name: "nodes.graphqls", Input: `
type Query { node: Node  nodes: [Node!]! }
type Node { id: ID!  child: Node  children: [Node!]! }
`})

// nested is a query whose deepest path has n ≥ 2 fields: node, child…, id.
func nested(n int) string {
	return "{ node { " + strings.Repeat("child { ", n-2) + "id" + strings.Repeat(" }", n-1) + " }"
}

func operation(t *testing.T, query string) *ast.OperationDefinition {
	t.Helper()
	doc, errs := gqlparser.LoadQueryWithRules(nodeSchema, query, nil) // nil: the default rules
	if errs != nil {
		t.Fatalf("%s: %v", query, errs)
	}
	return doc.Operations[0]
}

func TestSelectionDepth(t *testing.T) {
	for _, tc := range []struct {
		name  string
		query string
		depth int
	}{
		{"one field", `{ node { id } }`, 2},
		{"12 deep", nested(12), 12},
		{"13 deep", nested(13), 13},
		{"deepest branch counts", `{ node { id } nodes { children { child { id } } } }`, 4},
		{"named fragments", `{ ...Q } fragment Q on Query { node { ...N } } fragment N on Node { child { id } }`, 3},
		{"fragment under a field", `{ node { child { ...C } } } fragment C on Node { child { child { id } } }`, 5},
		{"inline fragments", `{ node { ... on Node { child { ... { id } } } } }`, 3},
		{"introspection is exempt", `{ __schema { types { fields { type { ofType { ofType { name } } } } } } }`, 0},
		{"__typename is exempt", `{ __typename node { __typename } }`, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := selectionDepth(operation(t, tc.query).SelectionSet, 0); got != tc.depth {
				t.Fatalf("depth %d, want %d", got, tc.depth)
			}
		})
	}
}

// A fragment cycle is refused by validation; should one reach the depth
// rule anyway, it ends and counts as too deep instead of recursing forever.
func TestSelectionDepthCycle(t *testing.T) {
	frag := &ast.FragmentDefinition{Name: "F"}
	frag.SelectionSet = ast.SelectionSet{&ast.Field{Name: "child", SelectionSet: ast.SelectionSet{&ast.FragmentSpread{Name: "F", Definition: frag}}}}
	if got := selectionDepth(ast.SelectionSet{&ast.FragmentSpread{Name: "F", Definition: frag}}, 0); got <= 12 {
		t.Fatalf("depth of a cycle %d, want more than any limit", got)
	}
}

func TestDepthLimitExtension(t *testing.T) {
	check := func(max int, query string) string {
		t.Helper()
		err := depthLimit{max: func() int { return max }}.MutateOperationContext(context.Background(), &graphql.OperationContext{Operation: operation(t, query)})
		if err == nil {
			return ""
		}
		if err.Extensions["code"] != "DEPTH_LIMIT_EXCEEDED" {
			t.Fatalf("code %v, want DEPTH_LIMIT_EXCEEDED", err.Extensions["code"])
		}
		return err.Message
	}
	if msg := check(12, nested(12)); msg != "" {
		t.Fatalf("12 deep under a limit of 12: %s", msg)
	}
	if msg, want := check(12, nested(13)), "operation is nested 13 levels deep, more than the limit of 12"; msg != want {
		t.Fatalf("13 deep under a limit of 12: %q, want %q", msg, want)
	}
	if msg := check(0, nested(50)); msg != "" {
		t.Fatalf("limit 0 means none, got %s", msg)
	}
	if err := (depthLimit{max: func() int { return 1 }}).MutateOperationContext(context.Background(), &graphql.OperationContext{}); err != nil {
		t.Fatalf("no operation: %v", err)
	}
}

// TestDepthLimitOverHTTP runs the limit inside the real handler: the error
// is a 200 without data like a validation failure, and introspection stays exempt.
func TestDepthLimitOverHTTP(t *testing.T) {
	srv := NewServer(Options{
		Limits:   func() Limits { return Limits{MaxDepth: 2, MaxComplexity: 1000, Introspection: true} },
		Shutdown: context.Background(),
		Log:      slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	post := func(query string) (int, string) {
		body := `{"query": "` + query + `"}`
		req := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		return rec.Code, rec.Body.String()
	}
	status, body := post(`{ users { items { id } } }`)
	if want := `{"errors":[{"message":"operation is nested 3 levels deep, more than the limit of 2","extensions":{"code":"DEPTH_LIMIT_EXCEEDED"}}]}`; status != http.StatusOK || body != want {
		t.Fatalf("got %d %s\nwant 200 %s", status, body, want)
	}
	status, body = post(`{ __schema { queryType { fields { type { name } } } } }`)
	if status != http.StatusOK || !strings.HasPrefix(body, `{"data":{"__schema":{"queryType":{"fields":[{"type":{"name":`) {
		t.Fatalf("introspection under a depth limit of 2: %d %s", status, body)
	}
}
