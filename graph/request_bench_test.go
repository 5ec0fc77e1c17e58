package graph_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"fastcms/internal/apptest"
)

// BenchmarkGraphQLRequest measures the server's cost of the by-id read and
// the create of bench/ (the same selections and data), one request at a
// time through the router without a network, so a CPU profile shows our
// code rather than the client's:
//
//	go test ./graph/ -run '^$' -bench GraphQLRequest -benchtime 2000x -cpuprofile /tmp/gql.prof
//
// Its time per request includes PostgreSQL's round trips.
func BenchmarkGraphQLRequest(b *testing.B) {
	s := apptest.Start(b)
	do := func(query string, vars map[string]any, token string) map[string]any {
		_, body := s.GraphQL(b, query, vars, token)
		if body["errors"] != nil {
			b.Fatal(body["errors"])
		}
		return body["data"].(map[string]any)
	}
	d := do(`mutation($e: String!, $p: String!) { setup(email: $e, password: $p, password_confirm: $p) { token { access_token } } }`,
		map[string]any{"e": "bench-request@example.com", "p": password}, "")
	root := d["setup"].(map[string]any)["token"].(map[string]any)["access_token"].(string)
	authors, posts := newName("authors"), newName("posts")
	do(fmt.Sprintf(`mutation { create_collection(name: %q, schema: [{name: "name", type: "text"}], list_rule: "", view_rule: "") { id } }`, authors), nil, root)
	do(fmt.Sprintf(`mutation { create_collection(name: %q, schema: [{name: "title", type: "text"}, {name: "body", type: "text"},
		{name: "author", type: "relation", relation: {collection: %q}}, {name: "published", type: "bool"},
		{name: "views", type: "number"}, {name: "tags", type: "json"}], list_rule: "", view_rule: "") { id } }`, posts, authors), nil, root)
	insertQ := `mutation($o: %s_insert_input!) { insert_%[1]s_one(object: $o) { id } }`
	author := do(fmt.Sprintf(insertQ, authors), map[string]any{"o": map[string]any{"name": "Ann"}}, root)["insert_"+authors+"_one"].(map[string]any)["id"]
	newPost := func(i int) map[string]any {
		return map[string]any{"title": fmt.Sprintf("new post %d topic%03d", i, i), "body": strings.Repeat("new body ", 30),
			"author": author, "published": i%2 == 0, "views": i, "tags": []string{"go", "new"}}
	}
	post := do(fmt.Sprintf(insertQ, posts), map[string]any{"o": newPost(0)}, root)["insert_"+posts+"_one"].(map[string]any)["id"]
	serve := func(b *testing.B, req *http.Request, token string) {
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		w := httptest.NewRecorder()
		s.App.Handler.ServeHTTP(w, req)
		if w.Code != http.StatusOK || strings.Contains(w.Body.String(), `"errors"`) {
			b.Fatalf("%d %s", w.Code, w.Body)
		}
	}
	send := func(b *testing.B, query string, vars map[string]any, token string) {
		body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
		req := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(string(body)))
		req.Header.Set("Content-Type", "application/json")
		serve(b, req, token)
	}
	// The REST read of the same record, for comparison.
	b.Run("rest_get", func(b *testing.B) {
		for b.Loop() {
			serve(b, httptest.NewRequest(http.MethodGet, fmt.Sprintf("/api/v1/collections/%s/records/%s", posts, post), nil), "")
		}
	})
	b.Run("by_pk", func(b *testing.B) {
		q := fmt.Sprintf(`query($id: ID!) { %s_by_pk(id: $id) { id title body author { id } published views tags created updated } }`, posts)
		vars := map[string]any{"id": post}
		for b.Loop() {
			send(b, q, vars, "")
		}
	})
	b.Run("insert_one", func(b *testing.B) {
		q := fmt.Sprintf(`mutation($o: %s_insert_input!) { insert_%[1]s_one(object: $o) { id created } }`, posts)
		i := 0
		for b.Loop() {
			i++
			send(b, q, map[string]any{"o": newPost(i)}, root)
		}
	})
}
