package graph_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"fastcms/internal/apptest"
	"fastcms/internal/records"
)

// restIDs lists the ids REST returns for a filter, sorted.
func restIDs(t *testing.T, s *apptest.Server, token, coll, filter string) []any {
	t.Helper()
	r := s.Do(t, http.MethodGet, "/api/v1/collections/"+coll+"/records?per_page=100&filter="+url.QueryEscape(filter), nil, token)
	if r.Status != http.StatusOK {
		return []any{fmt.Sprint(r.Status)}
	}
	return sortedIDs(r.JSON(t)["items"])
}

func sortedIDs(list any) []any {
	out := ids(list)
	sort.Slice(out, func(i, j int) bool { return out[i].(string) < out[j].(string) })
	return out
}

// gqlIDs lists the ids GraphQL returns for a where:, sorted, or the error code.
func gqlIDs(t *testing.T, s *apptest.Server, token, coll, where string) []any {
	t.Helper()
	r := gql(t, s, fmt.Sprintf(`{ %s(where: %s) { id } }`, coll, where), nil, token)
	body := r.JSON(t)
	if errs, ok := body["errors"].([]any); ok {
		switch code := errs[0].(map[string]any)["extensions"].(map[string]any)["code"]; code {
		case "FORBIDDEN":
			return []any{"403"}
		case "UNAUTHENTICATED":
			return []any{"401"}
		default:
			return []any{code}
		}
	}
	return sortedIDs(body["data"].(map[string]any)[coll])
}

func TestDynamicRulesMatchREST(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t)
	root := adminAccount(t, s)
	ann, bob := register(t, s, newEmail("ann")), register(t, s, newEmail("bob"))
	teams := newName("teams")
	notes := newName("notes")
	createColl(t, s, root.Access, teams, `[{name: "name", type: "text"}, {name: "lead", type: "text"}]`, `, list_rule: "", view_rule: "lead = @request.auth.id"`)
	createColl(t, s, root.Access, notes, fmt.Sprintf(`[{name: "owner", type: "text"}, {name: "public", type: "bool"}, {name: "body", type: "text"},
		{name: "secret", type: "text", hidden: true}, {name: "team", type: "relation", relation: {collection: %q}}]`, teams),
		`, list_rule: "public = true || owner = @request.auth.id", view_rule: "owner = @request.auth.id || team.lead = @request.auth.id"`)
	t1 := insert(t, s, root.Access, teams, map[string]any{"name": "t1", "lead": bob.ID})
	n1 := insert(t, s, root.Access, notes, map[string]any{"owner": ann.ID, "public": true, "body": "one", "secret": "s1", "team": t1})
	insert(t, s, root.Access, notes, map[string]any{"owner": ann.ID, "public": false, "body": "two", "secret": "s2"})
	insert(t, s, root.Access, notes, map[string]any{"owner": bob.ID, "public": false, "body": "three", "team": t1})
	insert(t, s, root.Access, notes, map[string]any{"owner": "x", "public": true, "body": "four"})

	for _, who := range []struct {
		name, token string
	}{{"admin", root.Access}, {"ann", ann.Access}, {"bob", bob.Access}, {"anonymous", ""}} {
		for _, c := range []struct{ filter, where string }{
			{"", "{}"},
			{`body ~ "o"`, `{body: {_ilike: "%o%"}}`},
			{`public = true`, `{public: {_eq: true}}`},
			{`body != "one"`, `{body: {_neq: "one"}}`},
			{`team.name = "t1"`, `{team: {name: {_eq: "t1"}}}`},
		} {
			want := restIDs(t, s, who.token, notes, c.filter)
			if got := gqlIDs(t, s, who.token, notes, c.where); fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("%s, %q: GraphQL %v, REST %v", who.name, c.where, got, want)
			}
		}
	}
	// Hidden fields are for admins: null for others, and not a filter.
	q := fmt.Sprintf(`query($id: ID!) { %s_by_pk(id: $id) { body secret } }`, notes)
	expectData(t, gql(t, s, q, map[string]any{"id": n1}, ann.Access), map[string]any{notes + "_by_pk": map[string]any{"body": "one", "secret": nil}})
	expectData(t, gql(t, s, q, map[string]any{"id": n1}, root.Access), map[string]any{notes + "_by_pk": map[string]any{"body": "one", "secret": "s1"}})
	if got := gqlIDs(t, s, ann.Access, notes, `{secret: {_eq: "s1"}}`); fmt.Sprint(got) != "[BAD_USER_INPUT]" {
		t.Errorf("filtering on a hidden field as a user: %v", got)
	}
	// The view rule guards by_pk and nested relations: bob leads t1, ann does not.
	q = fmt.Sprintf(`query($id: ID!) { %s_by_pk(id: $id) { body team { name } } }`, notes)
	expectData(t, gql(t, s, q, map[string]any{"id": n1}, ann.Access), map[string]any{notes + "_by_pk": map[string]any{"body": "one", "team": nil}})
	expectData(t, gql(t, s, q, map[string]any{"id": n1}, bob.Access), map[string]any{notes + "_by_pk": map[string]any{"body": "one", "team": map[string]any{"name": "t1"}}})
	expectData(t, gql(t, s, q, map[string]any{"id": n1}, ""), map[string]any{notes + "_by_pk": nil})
	// Writes follow the write rules (null: admins only), as over REST.
	q = fmt.Sprintf(`mutation { insert_%s_one(object: {body: "x"}) { id } }`, notes)
	expectErrors(t, gql(t, s, q, nil, ann.Access), map[string]any{"insert_" + notes + "_one": nil},
		fieldErr(q, "insert_"+notes+"_one", "only admins may create records of "+notes, "FORBIDDEN", nil))
}

// TestDynamicOneStatement holds a root field to one SQL statement however
// deep its selection: every statement the GraphQL read path sends to the
// driver that touches the test's tables is counted.
func TestDynamicOneStatement(t *testing.T) {
	s := apptest.Start(t)
	root := adminAccount(t, s)
	a, b, c := newName("lvl_a"), newName("lvl_b"), newName("lvl_c")
	createColl(t, s, root.Access, a, `[{name: "name", type: "text"}]`, `, list_rule: "", view_rule: ""`)
	createColl(t, s, root.Access, b, fmt.Sprintf(`[{name: "name", type: "text"}, {name: "a", type: "relation", relation: {collection: %q}}]`, a), `, list_rule: "", view_rule: ""`)
	createColl(t, s, root.Access, c, fmt.Sprintf(`[{name: "name", type: "text"}, {name: "b", type: "relation", relation: {collection: %q}},
		{name: "bs", type: "relation", relation: {collection: %q, max_select: 5}}]`, b, b), `, list_rule: "", view_rule: ""`)
	for i := range 3 {
		ai := insert(t, s, root.Access, a, map[string]any{"name": fmt.Sprint("a", i)})
		bi := insert(t, s, root.Access, b, map[string]any{"name": fmt.Sprint("b", i), "a": ai})
		for j := range 3 {
			insert(t, s, root.Access, c, map[string]any{"name": fmt.Sprint("c", i, j), "b": bi, "bs": []any{bi}})
		}
	}
	var count atomic.Int64
	stop := records.ObserveStatements(func(q string) {
		if strings.Contains(q, `"`+a+`"`) || strings.Contains(q, `"`+b+`"`) || strings.Contains(q, `"`+c+`"`) {
			count.Add(1)
		}
	})
	defer stop()
	q := fmt.Sprintf(`{ %[1]s(limit: 100) { name b { name a { name %[2]s_via_a(limit: 5) { name %[1]s_via_b(limit: 2) { name bs { name } } } } } } }`, c, b)
	d := must(t, s, root.Access, q, nil)
	if n := len(d[c].([]any)); n != 9 {
		t.Fatalf("want 9 records, got %d", n)
	}
	if n := count.Load(); n != 1 {
		t.Fatalf("a 5-level query took %d statements, want 1", n)
	}
	count.Store(0)
	q = fmt.Sprintf(`{ x: %[1]s_aggregate { aggregate { count } nodes { b { a { name } } } } y: %[1]s_connection(first: 2) { edges { node { b { a { name } } } } total_count } }`, c)
	must(t, s, root.Access, q, nil)
	if n := count.Load(); n != 2 {
		t.Fatalf("two root fields took %d statements, want 2", n)
	}
}

// TestDynamicSchemaSwap changes collections while queries run (run it
// with -race): every request is answered by one whole schema generation.
func TestDynamicSchemaSwap(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t)
	root := adminAccount(t, s)
	base := newName("stable")
	createColl(t, s, root.Access, base, `[{name: "v", type: "text"}]`, `, list_rule: "", view_rule: ""`)
	insert(t, s, root.Access, base, map[string]any{"v": "x"})
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var failures atomic.Int64
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			q := fmt.Sprintf(`query Q { %[1]s { v } ...F } fragment F on Query { n: %[1]s_aggregate { aggregate { count } } }`, base)
			for ctx.Err() == nil {
				r := gql(t, s, q, nil, root.Access)
				if r.Status != http.StatusOK || strings.Contains(string(r.Body), "errors") {
					failures.Add(1)
					t.Errorf("during a schema change: %d %s", r.Status, r.Body)
					return
				}
			}
		}()
	}
	for i := range 5 {
		name := newName("churn")
		createColl(t, s, root.Access, name, `[{name: "a", type: "text"}]`, "")
		must(t, s, root.Access, fmt.Sprintf(`mutation { update_collection(name: %q, schema: [{name: "b", type: "number"}]) { name } }`, name), nil)
		// The new field is visible to the next request.
		must(t, s, root.Access, fmt.Sprintf(`{ %s(where: {b: {_gt: %d}}) { b } }`, name, i), nil)
		must(t, s, root.Access, fmt.Sprintf(`mutation { delete_collection(name: %q) }`, name), nil)
	}
	cancel()
	wg.Wait()
	if failures.Load() > 0 {
		t.Fatal("queries failed during schema changes")
	}
}

func TestCollectionManagement(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t)
	root := adminAccount(t, s)
	user := register(t, s, newEmail("coll"))
	name := newName("managed")
	full := `id name type schema { name type validation { required unique min max min_length max_length pattern values }
		relation { collection cascade_delete max_select } select { values max_select } hidden }
		list_rule view_rule create_rule update_rule delete_rule options created updated`
	q := fmt.Sprintf(`mutation { create_collection(name: %q, schema: [
		{name: "title", type: "text", validation: {required: true, max_length: 5, pattern: "[a-z]+"}},
		{name: "kind", type: "select", select: {values: ["x", "y"], max_select: 2}},
		{name: "self", type: "relation", relation: {collection: %q}}], list_rule: "", options: {k: 1}) { %s } }`, name, name, full)
	want := map[string]any{"id": apptest.AnyUUID, "name": name, "type": "base", "schema": []any{
		map[string]any{"name": "title", "type": "text", "validation": map[string]any{"required": true, "unique": false, "min": nil, "max": nil,
			"min_length": nil, "max_length": 5.0, "pattern": "[a-z]+", "values": nil}, "relation": nil, "select": nil, "hidden": false},
		map[string]any{"name": "kind", "type": "select", "validation": map[string]any{"required": false, "unique": false, "min": nil, "max": nil,
			"min_length": nil, "max_length": nil, "pattern": nil, "values": nil}, "relation": nil, "select": map[string]any{"values": []any{"x", "y"}, "max_select": 2.0}, "hidden": false},
		map[string]any{"name": "self", "type": "relation", "validation": map[string]any{"required": false, "unique": false, "min": nil, "max": nil,
			"min_length": nil, "max_length": nil, "pattern": nil, "values": nil}, "relation": map[string]any{"collection": name, "cascade_delete": false, "max_select": nil}, "select": nil, "hidden": false},
	}, "list_rule": "", "view_rule": nil, "create_rule": nil, "update_rule": nil, "delete_rule": nil, "options": map[string]any{"k": 1.0},
		"created": apptest.AnyTime, "updated": apptest.AnyTime}
	expectJSON(t, must(t, s, root.Access, q, nil)["create_collection"], want)
	// Readable by users, as REST, without the rules (TestSecurity18CollectionDefinitionsRedacted).
	d := must(t, s, user.Access, fmt.Sprintf(`{ collection(name: %q) { name list_rule } missing: collection(name: "nope") { name } collections { name } }`, name), nil)
	expectJSON(t, d["collection"], map[string]any{"name": name, "list_rule": nil})
	expectJSON(t, d["missing"], nil)
	rest := s.Do(t, http.MethodGet, "/api/v1/collections/"+name, nil, root.Access).JSON(t)
	expectJSON(t, rest["list_rule"], "")
	// Only the arguments given change; a rule given as null is admins only.
	q = fmt.Sprintf(`mutation { update_collection(name: %q, view_rule: "", list_rule: null) { list_rule view_rule schema { name } } }`, name)
	expectJSON(t, must(t, s, root.Access, q, nil)["update_collection"], map[string]any{"list_rule": nil, "view_rule": "",
		"schema": []any{map[string]any{"name": "title"}, map[string]any{"name": "kind"}, map[string]any{"name": "self"}}})
	// Writes are for admins; validation is the service's.
	q = fmt.Sprintf(`mutation { delete_collection(name: %q) }`, name)
	expectErrors(t, gql(t, s, q, nil, user.Access), nil, fieldErr(q, "delete_collection", msgAdminOnly, "FORBIDDEN", nil))
	q = `mutation { create_collection(name: "9bad") { id } }`
	r := gql(t, s, q, nil, root.Access)
	if !strings.Contains(string(r.Body), `"BAD_USER_INPUT"`) || !strings.Contains(string(r.Body), `"name"`) {
		t.Fatalf("bad name: %s", r.Body)
	}
	// A name that clashes with the GraphQL schema is refused, the clash named.
	for _, c := range []struct{ query, message string }{
		{`mutation { create_collection(name: "setup_needed") { id } }`,
			"the collection clashes with the GraphQL schema: Field Query.setup_needed can only be defined once."},
		{fmt.Sprintf(`mutation { create_collection(name: "%s_aggregate") { id } }`, name),
			fmt.Sprintf("the collection clashes with the GraphQL schema: Cannot redeclare type %s_aggregate.", name)},
		{`mutation { create_collection(name: "page_info") { id } }`,
			"the collection clashes with the GraphQL schema: Cannot redeclare type page_info."},
	} {
		expectErrors(t, gql(t, s, c.query, nil, root.Access), nil, fieldErr(c.query, "create_collection", c.message, "CONFLICT", nil))
	}
	expectData(t, gql(t, s, fmt.Sprintf(`mutation { delete_collection(name: %q) }`, name), nil, root.Access), map[string]any{"delete_collection": true})
	expectData(t, gql(t, s, fmt.Sprintf(`{ collection(name: %q) { id } }`, name), nil, root.Access), map[string]any{"collection": nil})
	q = fmt.Sprintf(`{ %s { id } }`, name)
	if r := gql(t, s, q, nil, root.Access); r.Status != http.StatusOK || r.JSON(t)["errors"] == nil {
		t.Fatalf("a deleted collection's field: %d %s", r.Status, r.Body)
	}
}

// TestIntrospection validates the full introspection result, with
// collections of every field type in the schema, with graphql-js's
// buildClientSchema (Node). On CI it must run; elsewhere it is skipped
// when Node is missing.
func TestIntrospection(t *testing.T) {
	node, err := exec.LookPath("node")
	npm, err2 := exec.LookPath("npm")
	if err != nil || err2 != nil {
		if os.Getenv("CI") == "" {
			t.Skip("node and npm are needed for this test")
		}
		t.Fatal("node and npm are needed for this test on CI")
	}
	s := apptest.Start(t)
	root := adminAccount(t, s)
	newShop(t, s, root.Access)
	dir, _ := filepath.Abs(filepath.Join("testdata", "introspect"))
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "graphql")); err != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		out, err := exec.CommandContext(ctx, npm, "ci", "--prefix", dir, "--no-audit", "--no-fund").CombinedOutput()
		if err != nil {
			t.Fatalf("npm ci: %v\n%s", err, out)
		}
	}
	r := gql(t, s, introspectionQuery, nil, root.Access)
	if r.Status != http.StatusOK || r.JSON(t)["errors"] != nil {
		t.Fatalf("introspection: %d %s", r.Status, r.Body)
	}
	cmd := exec.Command(node, filepath.Join(dir, "check.mjs"))
	cmd.Dir = dir
	cmd.Stdin = strings.NewReader(string(r.Body))
	var stderr strings.Builder
	cmd.Stderr = &stderr
	sdl, err := cmd.Output()
	if err != nil {
		t.Fatalf("buildClientSchema: %v\n%s", err, stderr.String())
	}
	for _, want := range []string{"_bool_exp", "_comparison_exp", "enum order_by", "scalar date", "scalar jsonb", "_connection", "_via_owner", "create_collection"} {
		if !strings.Contains(string(sdl), want) {
			t.Errorf("the client schema lacks %q", want)
		}
	}
	for _, hidden := range []string{"_dyn", "DynamicResult"} {
		if strings.Contains(string(sdl), hidden) {
			t.Errorf("the client schema shows %q", hidden)
		}
	}
}
