package graph_test

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"fastcms/internal/apptest"
)

// TestTransport covers GraphQL over HTTP: GET and POST, and how malformed
// requests and documents are answered.
func TestTransport(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t)
	admin := adminAccount(t, s) // so setup_needed is known: false

	get := func(params url.Values, token string) *apptest.Response {
		return s.Do(t, http.MethodGet, "/graphql?"+params.Encode(), nil, token)
	}
	t.Run("GET", func(t *testing.T) {
		expectData(t, get(url.Values{"query": {"{setup_needed}"}}, ""), map[string]any{"setup_needed": false})
		r := get(url.Values{"query": {"query($p: Int) { users(page: $p, per_page: 1) { page per_page } }"}, "variables": {`{"p": 2}`}}, admin.Access)
		expectData(t, r, map[string]any{"users": map[string]any{"page": 2, "per_page": 1}})
	})
	t.Run("GET refuses mutations", func(t *testing.T) {
		r := get(url.Values{"query": {"mutation { logout_all }"}}, admin.Access)
		apptest.ExpectJSON(t, r, http.StatusNotAcceptable, map[string]any{"data": nil,
			"errors": []any{map[string]any{"message": "GET requests only allow query operations"}}})
		expectSignedIn(t, s, admin.Access, admin)
	})
	t.Run("operationName picks one of several", func(t *testing.T) {
		r := s.Do(t, http.MethodPost, "/graphql", map[string]any{"query": "query A { me { id } } query B { setup_needed }", "operationName": "B"}, "")
		expectData(t, r, map[string]any{"setup_needed": false})
	})

	// The requests gqlgen refuses before any GraphQL is read.
	for _, tc := range []struct {
		name   string
		body   string
		status int
		msg    string
	}{
		{"malformed JSON", `{"query": `, http.StatusBadRequest, "json request body could not be decoded: unexpected EOF body:{\"query\": "},
		{"empty body", ``, http.StatusBadRequest, "json request body could not be decoded: EOF body:"},
		{"query not a string", `{"query": 1}`, http.StatusBadRequest,
			"json request body could not be decoded: json: cannot unmarshal number into Go struct field RawParams.query of type string body:{\"query\": 1}"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			apptest.ExpectJSON(t, s.Do(t, http.MethodPost, "/graphql", tc.body, ""), tc.status,
				map[string]any{"data": nil, "errors": []any{map[string]any{"message": tc.msg}}})
		})
	}

	// Documents that do not parse or validate: 200 with the GraphQL error code
	// and no data (400 for no query at all; httpaudit_test.go has the rest).
	for _, tc := range []struct {
		name  string
		query string
		vars  map[string]any
		err   map[string]any
	}{
		{"no query", "", nil,
			map[string]any{"message": "no operation provided", "extensions": map[string]any{"code": "GRAPHQL_VALIDATION_FAILED"}}},
		{"syntax error", "{ me { id }", nil, docErr("Expected Name, found <EOF>", "GRAPHQL_PARSE_FAILED", 1, 12)},
		{"syntax error on a later line", "query {\n  me {\n    id\n  ]\n}", nil, docErr(`Expected Name, found ]`, "GRAPHQL_PARSE_FAILED", 4, 3)},
		{"unknown field", "{ nope }", nil, docErr(`Cannot query field "nope" on type "Query".`, "GRAPHQL_VALIDATION_FAILED", 1, 3)},
		{"unexposed column", "{ me { password_hash } }", nil, docErr(`Cannot query field "password_hash" on type "user".`, "GRAPHQL_VALIDATION_FAILED", 1, 8)},
		{"missing selection", "{ me }", nil, docErr(`Field "me" of type "user" must have a selection of subfields. Did you mean "me { ... }"?`, "GRAPHQL_VALIDATION_FAILED", 1, 3)},
		{"wrong argument type", `{ users(page: "x") { total } }`, nil, docErr(`Int cannot represent non-integer value: "x"`, "GRAPHQL_VALIDATION_FAILED", 1, 16)},
		{"missing required argument", `mutation { logout }`, nil,
			docErr(`Field "logout" argument "refresh_token" of type "String!" is required, but it was not provided.`, "GRAPHQL_VALIDATION_FAILED", 1, 12)},
		{"missing variable", `query($p: Int!) { users(page: $p) { total } }`, nil,
			map[string]any{"message": "must be defined", "path": []any{"variable", "p"}, "extensions": map[string]any{"code": "GRAPHQL_VALIDATION_FAILED"}}},
		{"variable of the wrong type", `query($p: Int!) { users(page: $p) { total } }`, map[string]any{"p": "two"},
			map[string]any{"message": "cannot use string as Int", "path": []any{"variable", "p"}, "extensions": map[string]any{"code": "GRAPHQL_VALIDATION_FAILED"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status := http.StatusOK
			if tc.query == "" {
				status = http.StatusBadRequest
			}
			expectRequestErrors(t, gql(t, s, tc.query, tc.vars, ""), status, tc.err)
		})
	}

	// What no GraphQL transport serves gets the API's error envelope.
	t.Run("wrong content type", func(t *testing.T) {
		r := s.Do(t, http.MethodPost, "/graphql", nil, "", "Content-Type", "text/plain")
		apptest.ExpectError(t, r, http.StatusUnsupportedMediaType, "unsupported media type", "Content-Type must be application/json", nil)
	})
	t.Run("wrong method", func(t *testing.T) {
		r := s.Do(t, http.MethodPut, "/graphql", `{"query": "{ setup_needed }"}`, "")
		apptest.ExpectError(t, r, http.StatusMethodNotAllowed, "method not allowed", "/graphql accepts GET and POST", nil)
		if allow := r.Header.Get("Allow"); allow != "GET, POST, OPTIONS" {
			t.Fatalf("Allow %q", allow)
		}
	})
}

// TestBodyLimit: apptest caps bodies at 64 KiB.
func TestBodyLimit(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t)
	adminAccount(t, s)
	const limit = 64 << 10
	body := func(size int) string {
		head, tail := `{"query": "{ setup_needed }`, `"}`
		return head + strings.Repeat(" ", size-len(head)-len(tail)) + tail
	}

	expectData(t, s.Do(t, http.MethodPost, "/graphql", body(limit), ""), map[string]any{"setup_needed": false})
	apptest.ExpectError(t, s.Do(t, http.MethodPost, "/graphql", body(limit+1), ""), http.StatusRequestEntityTooLarge,
		"request too large", fmt.Sprintf("request body is larger than %d bytes", limit), nil)

	// Without a Content-Length the limit applies as the body is read.
	for _, size := range []int{limit, limit + 1} {
		// A body of unknown length goes chunked.
		req, err := http.NewRequest(http.MethodPost, s.URL+"/graphql", io.MultiReader(strings.NewReader(body(size))))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		resp, err := s.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		r := &apptest.Response{Status: resp.StatusCode, Header: resp.Header, Body: b}
		if size == limit {
			expectData(t, r, map[string]any{"setup_needed": false})
		} else {
			apptest.ExpectError(t, r, http.StatusRequestEntityTooLarge, "request too large", fmt.Sprintf("request body is larger than %d bytes", limit), nil)
		}
	}
}

// TestOperationLimits: the server's complexity cap (5000), and the
// introspection depth rule. (The depth cap, 12, is beyond the static
// schema's reach; depth_internal_test.go covers it.)
func TestOperationLimits(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t)

	// Each users { ...P } costs 5 (itself and four fields): 1001 of them, 5005.
	var q strings.Builder
	q.WriteString("fragment P on user_page { total page per_page total_pages }\n{")
	for i := range 1001 {
		fmt.Fprintf(&q, " u%d: users { ...P }", i)
	}
	q.WriteString(" }")
	expectRequestErrors(t, gql(t, s, q.String(), nil, ""), http.StatusOK, map[string]any{
		"message": "operation has complexity 5005, which exceeds the limit of 5000", "extensions": map[string]any{"code": "COMPLEXITY_LIMIT_EXCEEDED"}})

	// 1000 of them, 5000, is allowed (and then refused for want of a user).
	var ok strings.Builder
	ok.WriteString("fragment P on user_page { total page per_page total_pages }\n{")
	for i := range 1000 {
		fmt.Fprintf(&ok, " u%d: users { ...P }", i)
	}
	ok.WriteString(" }")
	r := gql(t, s, ok.String(), nil, "")
	if errs, _ := r.JSON(t)["errors"].([]any); r.Status != http.StatusOK || len(errs) != 1000 ||
		errs[0].(map[string]any)["message"] != msgAuthRequired {
		t.Fatalf("complexity 5000: %d, %d errors: %.300s", r.Status, len(errs), r.Body)
	}

	// Introspection may not nest list fields without end.
	deep := "{ __schema { types { " + strings.Repeat("fields { type { ", 4) + "name" + strings.Repeat(" } }", 4) + " } } }"
	expectRequestErrors(t, gql(t, s, deep, nil, ""), http.StatusOK,
		docErr("Maximum introspection depth exceeded", "GRAPHQL_VALIDATION_FAILED", 1, 3))

	// The introspection query GraphiQL and codegen tools send works.
	r = gql(t, s, introspectionQuery, nil, "")
	body := r.JSON(t)
	schema, _ := body["data"].(map[string]any)["__schema"].(map[string]any)
	if r.Status != http.StatusOK || body["errors"] != nil || schema["queryType"].(map[string]any)["name"] != "Query" ||
		schema["mutationType"].(map[string]any)["name"] != "Mutation" {
		t.Fatalf("introspection: %d %.300s", r.Status, r.Body)
	}
}

// introspectionQuery is graphql-js's getIntrospectionQuery(), which GraphiQL sends.
const introspectionQuery = `query IntrospectionQuery {
  __schema {
    queryType { name }
    mutationType { name }
    subscriptionType { name }
    types { ...FullType }
    directives { name description locations args { ...InputValue } }
  }
}
fragment FullType on __Type {
  kind name description
  fields(includeDeprecated: true) { name description args { ...InputValue } type { ...TypeRef } isDeprecated deprecationReason }
  inputFields { ...InputValue }
  interfaces { ...TypeRef }
  enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
  possibleTypes { ...TypeRef }
}
fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue }
fragment TypeRef on __Type {
  kind name
  ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } }
}`
