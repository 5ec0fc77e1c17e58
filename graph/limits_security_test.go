package graph_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"fastcms/internal/app"
	"fastcms/internal/apptest"
	"fastcms/internal/config"
)

// aliases is the review's reproduction of finding 1: n fields under one
// response key, with arguments that make them conflict pairwise.
func aliases(n int, field string) string {
	var b strings.Builder
	b.WriteString("{")
	for i := range n {
		fmt.Fprintf(&b, " a:%s", fmt.Sprintf(field, i%7))
	}
	b.WriteString(" }")
	return b.String()
}

// validationErr is a document error of the validation limits.
func validationErr(message string, line, column int) map[string]any {
	return docErr(message, "GRAPHQL_VALIDATION_FAILED", line, column)
}

// expectFastRefusal checks r is the exact request error want (200 under
// application/json, as the GraphQL-over-HTTP spec says), answered within a
// second (the unbounded rule took seconds and a 100 MB body) and small.
func expectFastRefusal(t *testing.T, r *apptest.Response, took time.Duration, errs ...map[string]any) {
	t.Helper()
	expectRequestErrors(t, r, http.StatusOK, errs...)
	if len(r.Body) > 4096 || took > time.Second {
		t.Fatalf("refused in %v with %d bytes", took, len(r.Body))
	}
}

// Finding 1: a document whose overlapping-fields check is quadratic is
// refused before that check runs, on every transport, and a response never
// lists more than 20 validation errors.
func TestSecurity01ValidationCost(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t)
	root := adminAccount(t, s)
	posts := newName("vc_posts")
	createColl(t, s, root.Access, posts, `[{name: "title", type: "text"}]`, `, list_rule: "", view_rule: ""`)

	tooMany := validationErr(`1000 fields of one selection set share the response key "a"; at most 100 may`, 1, 3)
	static := aliases(1000, "users(page: %d) { total }")
	dynamic := aliases(1000, posts+"(limit: %d) { id }")
	post := func(query string) (*apptest.Response, time.Duration) {
		start := time.Now()
		r := gql(t, s, query, nil, "")
		return r, time.Since(start)
	}
	t.Run("POST, static field", func(t *testing.T) {
		r, took := post(static)
		expectFastRefusal(t, r, took, tooMany)
	})
	t.Run("POST, collection field", func(t *testing.T) {
		r, took := post(dynamic)
		expectFastRefusal(t, r, took, tooMany)
	})
	t.Run("GET", func(t *testing.T) {
		start := time.Now()
		r := s.Do(t, http.MethodGet, "/graphql?"+url.Values{"query": {dynamic}}.Encode(), nil, "")
		expectFastRefusal(t, r, time.Since(start), tooMany)
	})
	t.Run("through fragments", func(t *testing.T) {
		var q strings.Builder
		q.WriteString("{")
		for i := range 150 {
			fmt.Fprintf(&q, " ...F%d", i)
		}
		q.WriteString(" }")
		for i := range 150 {
			fmt.Fprintf(&q, "\nfragment F%d on Query { a: users(page: %d) { total } }", i, i)
		}
		r, took := post(q.String())
		expectFastRefusal(t, r, took, validationErr(`150 fields of one selection set share the response key "a"; at most 100 may`, 2, 24))
	})
	t.Run("nested under merged fields", func(t *testing.T) {
		// 40 × 40 fields named total once the 40 users fields merge.
		var q strings.Builder
		q.WriteString("{")
		for range 40 {
			q.WriteString(" users { " + strings.Repeat("total ", 40) + "}")
		}
		q.WriteString(" }")
		r, took := post(q.String())
		expectFastRefusal(t, r, took, validationErr(`1600 fields of one selection set share the response key "total"; at most 100 may`, 1, 11))
	})
	t.Run("at most 20 errors", func(t *testing.T) {
		// 100 conflicting fields are within the limits: 4950 conflicts,
		// of which 20 are reported.
		r, took := post(aliases(100, "users(page: %d) { total }"))
		body := r.JSON(t)
		errs, _ := body["errors"].([]any)
		if r.Status != http.StatusOK || len(errs) != 21 || took > time.Second {
			t.Fatalf("%d with %d errors in %v: %.500s", r.Status, len(errs), took, r.Body)
		}
		expectJSON(t, errs[0], validationErr("Fields \"a\" conflict because they have differing arguments. Use different aliases on the fields to fetch both if this was intentional.", 1, 30))
		expectJSON(t, errs[20], map[string]any{"message": "too many validation errors: only the first 20 are reported",
			"extensions": map[string]any{"code": "GRAPHQL_VALIDATION_FAILED"}})

		// Unknown fields are counted alike.
		r, _ = post("{" + strings.Repeat(" nope", 50) + " }")
		if errs, _ := r.JSON(t)["errors"].([]any); r.Status != http.StatusOK || len(errs) != 21 {
			t.Fatalf("%d with %d errors: %.300s", r.Status, len(errs), r.Body)
		}
	})
	t.Run("100 identical fields merge", func(t *testing.T) {
		expectData(t, gql(t, s, "{"+strings.Repeat(" setup_needed", 100)+" }", nil, ""), map[string]any{"setup_needed": false})
	})
	t.Run("token limit", func(t *testing.T) {
		r, took := post("{" + strings.Repeat(" a", 15000) + " }")
		expectFastRefusal(t, r, took, map[string]any{"message": "exceeded token limit of 15000", "extensions": map[string]any{"code": "GRAPHQL_PARSE_FAILED"}})
	})
	for _, proto := range protocols {
		t.Run("websocket "+proto, func(t *testing.T) {
			c := dialWS(t, s, proto, nil)
			c.init(nil)
			start := time.Now()
			c.start("1", dynamic, nil)
			c.expect(map[string]any{"id": "1", "type": "error", "payload": []any{tooMany}})
			c.expect(map[string]any{"id": "1", "type": "complete"})
			if took := time.Since(start); took > time.Second {
				t.Fatalf("refused in %v", took)
			}
			// The socket carries on.
			c.run("2", "{ setup_needed }", map[string]any{"data": map[string]any{"setup_needed": false}})
		})
	}
}

// FuzzGraphQLDocument sends documents through the real handler,
// anonymously, and checks that each is answered within a bounded time and
// size whatever it contains (finding 1). The seeds are the shapes that
// were expensive; `go test -fuzz FuzzGraphQLDocument ./graph` explores.
func FuzzGraphQLDocument(f *testing.F) {
	// Introspection, whose answer grows with the package's collections, is
	// off: every other answer is bounded by what the fuzzer's documents ask.
	s := apptest.Start(f, func(c *config.Config, _ *app.Options) { c.GraphQL.Introspection = false })
	// adminAccount's steps, for a testing.F: set up (refused when done
	// already), log in, create a collection that relates to itself.
	do := func(query string, token string) map[string]any {
		r := s.Do(f, http.MethodPost, "/graphql", map[string]any{"query": query}, token)
		return r.JSON(f)
	}
	creds := fmt.Sprintf(`(email: %q, password: %q`, rootEmail, password)
	do(`mutation { setup`+creds+`, password_confirm: "`+password+`") { user { id } } }`, "")
	login, _ := do(`mutation { login`+creds+`) { token { access_token } } }`, "")["data"].(map[string]any)
	if login == nil {
		f.Fatal("no admin to log in as")
	}
	admin := login["login"].(map[string]any)["token"].(map[string]any)["access_token"].(string)
	posts := newName("fz_posts")
	created := do(fmt.Sprintf(`mutation { create_collection(name: %q, schema: [{name: "title", type: "text"},
		{name: "next", type: "relation", relation: {collection: %q}}], list_rule: "", view_rule: "") { id } }`, posts, posts), admin)
	if created["errors"] != nil {
		f.Fatalf("creating %s: %v", posts, created["errors"])
	}
	for _, seed := range []string{
		aliases(300, "users(page: %d) { total }"),
		aliases(300, posts+"(limit: %d) { id }"),
		"{" + strings.Repeat(" ...F", 50) + " } fragment F on Query { a: users(page: 1) { total } a: users(page: 2) { total } }",
		"{" + strings.Repeat(" users { total total total }", 60) + " }",
		"{ " + posts + "_connection { edges { node { next { " + posts + "_via_next { id } } } } } }",
		"{" + strings.Repeat(" nope", 200) + " }",
		"{ " + posts + " { ...A } } fragment A on " + posts + " { next { ...A } " + posts + "_via_next { ...A } }",
		introspectionQuery,
		"{ __type(name: \"Query\") { fields { name } } }",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, doc string) {
		start := time.Now()
		r := gql(t, s, doc, nil, "")
		if took := time.Since(start); took > 5*time.Second || len(r.Body) > 1<<20 {
			t.Fatalf("answered in %v with %d bytes (status %d)", took, len(r.Body), r.Status)
		}
	})
}

// Finding 4: a list is priced by the rows its SQL may fetch: without a
// limit (or first/last) that is records.MaxLimit, 1000; X_connection
// is priced by its page, and X_aggregate's nodes as a list.
func TestSecurity04ListPricing(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t)
	root := adminAccount(t, s)
	tags, posts := newName("lp_tags"), newName("lp_posts")
	createColl(t, s, root.Access, tags, `[{name: "label", type: "text"}]`, `, list_rule: "", view_rule: ""`)
	createColl(t, s, root.Access, posts, fmt.Sprintf(`[{name: "title", type: "text"}, {name: "tag", type: "relation", relation: {collection: %q}}]`, tags),
		`, list_rule: "", view_rule: ""`)
	back := posts + "_via_tag"
	refused := func(query string, complexity int) {
		t.Helper()
		expectRequestErrors(t, gql(t, s, query, nil, ""), http.StatusOK, map[string]any{
			"message":    fmt.Sprintf("operation has complexity %d, which exceeds the limit of 5000", complexity),
			"extensions": map[string]any{"code": "COMPLEXITY_LIMIT_EXCEEDED"},
		})
	}
	runs := func(query string, want map[string]any) {
		t.Helper()
		expectData(t, gql(t, s, query, nil, ""), want)
	}

	// The review's reproduction: 1000 edges × (edges, node, tag and 1000 posts).
	refused(fmt.Sprintf(`{ %s_connection { edges { node { tag { %s { id } } } } } }`, posts, back), 1000*1004+1)
	// A page of 4 of the same is allowed.
	runs(fmt.Sprintf(`{ %s_connection(first: 4) { edges { node { tag { %s(limit: 1) { id } } } } } }`, posts, back),
		map[string]any{posts + "_connection": map[string]any{"edges": []any{}}})
	runs(fmt.Sprintf(`{ %s_connection(last: 4) { total_count } }`, posts), map[string]any{posts + "_connection": map[string]any{"total_count": 0.0}})

	// A list without limit fetches 1000 rows, and so does a back-relation.
	refused(fmt.Sprintf(`{ %s { label %s { id } } }`, tags, back), 1000*(1+1001)+1)
	refused(fmt.Sprintf(`{ %s(limit: 5) { label %s { id title } } }`, tags, back), 5*(1+2001)+1)
	runs(fmt.Sprintf(`{ %s { id label } }`, tags), map[string]any{tags: []any{}})

	// X_aggregate's nodes are a list of up to 1000 (its limit when given).
	refused(fmt.Sprintf(`{ %s_aggregate { nodes { label %s { id } } } }`, tags, back), 1000*(1+1001)+1+1)
	runs(fmt.Sprintf(`{ %s_aggregate(limit: 2) { aggregate { count } nodes { label %s(limit: 2) { id } } } }`, tags, back),
		map[string]any{tags + "_aggregate": map[string]any{"aggregate": map[string]any{"count": 0.0}, "nodes": []any{}}})
	runs(fmt.Sprintf(`{ a: %s_aggregate { aggregate { count } } b: %s_aggregate { aggregate { count } } }`, tags, tags),
		map[string]any{"a": map[string]any{"aggregate": map[string]any{"count": 0.0}}, "b": map[string]any{"aggregate": map[string]any{"count": 0.0}}})

	// Live queries are priced alike.
	for _, proto := range protocols {
		t.Run(proto, func(t *testing.T) {
			c := dialWS(t, s, proto, nil)
			c.init(nil)
			c.start("1", fmt.Sprintf(`subscription { %s_aggregate { nodes { %s { id } } } }`, tags, back), nil)
			c.expect(map[string]any{"id": "1", "type": "error", "payload": []any{map[string]any{
				"message":    fmt.Sprintf("operation has complexity %d, which exceeds the limit of 5000", 1000*1001+1+1),
				"extensions": map[string]any{"code": "COMPLEXITY_LIMIT_EXCEEDED"},
			}}})
			c.expect(map[string]any{"id": "1", "type": "complete"})
		})
	}
}
