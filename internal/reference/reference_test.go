package reference_test

import (
	"encoding/json"
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/validator"

	"fastcms/graph"
	"fastcms/internal/apptest"
	"fastcms/rest"
)

const wantCSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// The page lists every route of the table, in its section, with examples
// on the server's own base URL, under the strict CSP.
func TestIndexListsEveryRoute(t *testing.T) {
	s := apptest.Start(t)
	r := s.Do(t, http.MethodGet, "/docs", nil, "")
	if r.Status != http.StatusOK {
		t.Fatalf("GET /docs: %d %s", r.Status, r.Body)
	}
	for h, want := range map[string]string{"Content-Security-Policy": wantCSP, "Content-Type": "text/html; charset=utf-8",
		"X-Content-Type-Options": "nosniff", "Cache-Control": "no-store"} {
		if got := r.Header.Get(h); got != want {
			t.Errorf("%s: %q, want %q", h, got, want)
		}
	}
	body := string(r.Body)
	for _, title := range rest.Sections {
		if !strings.Contains(body, ">"+html.EscapeString(title)+"</h2>") {
			t.Errorf("no section %q", title)
		}
	}
	for _, want := range []string{">Your Collections</h3>", ">GraphQL</h2>", ">Quick Start</h2>", "Complete guide to integrating with your FastCMS backend",
		`<code class="base" id="base-url-value">` + s.URL + `</code>`} {
		if !strings.Contains(body, want) {
			t.Errorf("no %q", want)
		}
	}
	for _, rt := range rest.Routes() {
		id := strings.ToLower(rt.Method) + "-" + strings.Trim(strings.NewReplacer("/", "-", "{", "", "}", "").Replace(strings.ToLower(rt.Path)), "-")
		id = strings.ReplaceAll(id, "--", "-")
		article := between(body, `<article class="endpoint" id="`+id+`"`, "</article>")
		if article == "" {
			t.Errorf("%s: no article %q", rt.Pattern(), id)
			continue
		}
		for _, want := range []string{"<code>" + rt.Path + "</code>", html.EscapeString(rt.Summary), `data-lang="curl"`, `data-lang="fetch"`, `data-lang="python"`, s.URL} {
			if !strings.Contains(article, want) {
				t.Errorf("%s: no %q in %s", rt.Pattern(), want, article)
			}
		}
	}
}

// between is the text of s from the first start to the next end, or "".
func between(s, start, end string) string {
	i := strings.Index(s, start)
	if i < 0 {
		return ""
	}
	j := strings.Index(s[i:], end)
	if j < 0 {
		return ""
	}
	return s[i : i+j]
}

// GET / sends browsers to /docs; API clients get the 404 envelope, which
// says where the reference is.
func TestRootPointsToTheReference(t *testing.T) {
	s := apptest.Start(t)
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	req, _ := http.NewRequest(http.MethodGet, s.URL+"/", nil)
	req.Header.Set("Accept", "text/html,application/xhtml+xml")
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != "/docs" {
		t.Fatalf("GET / from a browser: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	apptest.ExpectError(t, s.Do(t, http.MethodGet, "/", nil, ""), http.StatusNotFound, "not found",
		"no route for GET /: the API is under /api/v1 and /graphql, its reference at /docs", nil)
	apptest.ExpectError(t, s.Do(t, http.MethodGet, "/nothing", nil, ""), http.StatusNotFound, "not found", "no route for GET /nothing", nil)
}

// A user sees the collections the service shows them, redacted: the page
// of one names its visible fields but neither its hidden ones nor its
// rules, which its admin sees.
func TestCollectionPagesAreRedacted(t *testing.T) {
	s := apptest.Start(t)
	admin := adminToken(t, s)
	_, user := signUp(t, s)
	if body := page(t, s, "/docs", "", http.StatusOK); !strings.Contains(body, "Sign in (at the top of the page) to see your collections") {
		t.Fatalf("the anonymous list: %s", between(body, `id="your-collections"`, "</section>"))
	}
	createCollection(t, s, admin, map[string]any{"name": "notes", "schema": []any{
		map[string]any{"name": "headline", "type": "text", "validation": map[string]any{"required": true}},
		map[string]any{"name": "stars", "type": "number"},
		map[string]any{"name": "secret_code", "type": "text", "hidden": true},
	}, "list_rule": "stars > 3", "view_rule": "", "create_rule": "@request.auth.id != ''"})

	list := between(page(t, s, "/docs", user, http.StatusOK), `id="your-collections"`, "</section>")
	if !strings.Contains(list, `<a href="/docs/collections/notes" data-collection="notes">notes</a>`) || !strings.Contains(list, "2 fields") {
		t.Fatalf("the user's list: %s", list)
	}
	body := page(t, s, "/docs/collections/notes", user, http.StatusOK)
	for _, want := range []string{`<code class="field-name">headline</code>`, `<code class="field-name">stars</code>`, "The rules are shown to admins only.",
		"&#34;headline&#34;: &#34;example headline&#34;", "/api/v1/collections/notes/records", "insert_notes_one", "notes_mutated"} {
		if !strings.Contains(body, want) {
			t.Errorf("the user's page has no %q", want)
		}
	}
	for _, leak := range []string{"secret_code", "stars &gt; 3", "@request.auth.id"} {
		if strings.Contains(body, leak) {
			t.Errorf("the user's page shows %q", leak)
		}
	}
	body = page(t, s, "/docs/collections/notes", admin, http.StatusOK)
	for _, want := range []string{`<code class="field-name">secret_code</code>`, "only the records for which stars &gt; 3 holds",
		"<dt>Create</dt><dd>callers for whom @request.auth.id != &#39;&#39; holds (and admins)</dd>", "<dt>Update</dt><dd>admins only</dd>"} {
		if !strings.Contains(body, want) {
			t.Errorf("the admin's page has no %q", want)
		}
	}
	if body := page(t, s, "/docs/collections/notes", "", http.StatusUnauthorized); strings.Contains(body, "headline") {
		t.Error("the anonymous page names a field")
	}
	apptest.ExpectError(t, s.Do(t, http.MethodGet, "/docs/collections/nope", nil, user), http.StatusNotFound, "not found", `collection "nope" not found`, nil)
}

// Every query and mutation a collection's page offers runs on /graphql as
// written: the examples come from the served schema.
func TestCollectionOperationsRun(t *testing.T) {
	s := apptest.Start(t)
	admin := adminToken(t, s)
	createCollection(t, s, admin, map[string]any{"name": "authors", "schema": []any{map[string]any{"name": "name", "type": "text"}}, "list_rule": "", "view_rule": ""})
	createCollection(t, s, admin, map[string]any{"name": "books", "schema": []any{
		map[string]any{"name": "title", "type": "text"}, map[string]any{"name": "pages", "type": "number"},
		map[string]any{"name": "published", "type": "bool"}, map[string]any{"name": "released", "type": "date"},
		map[string]any{"name": "genre", "type": "select", "select": map[string]any{"values": []string{"fiction", "poetry"}, "max_select": 2}},
		map[string]any{"name": "author", "type": "relation", "relation": map[string]any{"collection": "authors"}},
		map[string]any{"name": "meta", "type": "json"},
	}})
	body := page(t, s, "/docs/collections/books", admin, http.StatusOK)
	ran := 0
	for _, m := range playgroundLink.FindAllStringSubmatch(body, -1) {
		u, err := url.Parse(html.UnescapeString(m[1]))
		if err != nil {
			t.Fatal(err)
		}
		doc, vars := u.Query().Get("query"), u.Query().Get("variables")
		if strings.HasPrefix(doc, "subscription") {
			continue
		}
		payload := `{"query": ` + jsonString(doc) + `, "variables": ` + orNull(vars) + `}`
		r := s.Do(t, http.MethodPost, "/graphql", payload, admin)
		if r.Status != http.StatusOK {
			t.Errorf("%s: %d %s", doc, r.Status, r.Body)
			continue
		}
		if errs, ok := r.JSON(t)["errors"]; ok && !onlyMissingRecord(errs) {
			t.Errorf("%s\nvariables %s\n%s", doc, vars, r.Body)
		}
		ran++
	}
	if ran < 10 {
		t.Fatalf("ran %d operations", ran)
	}
	// The check above tells a wrong document or variable from a missing record.
	for _, bad := range []string{`{"query": "query { books(limit: $x) { id } }"}`, `{"query": "query q($n: Int) { books(limit: $n) { id } }", "variables": {"n": "ten"}}`} {
		if errs := s.Do(t, http.MethodPost, "/graphql", bad, admin).JSON(t)["errors"]; errs == nil || onlyMissingRecord(errs) {
			t.Errorf("%s: errors %v taken for missing records", bad, errs)
		}
	}
}

// Every operation the GraphQL section opens in the playground is valid,
// with its variables, against the static schema.
func TestStaticOperationsAreValid(t *testing.T) {
	s := apptest.Start(t)
	schema := graph.StaticSchema()
	links := playgroundLink.FindAllStringSubmatch(page(t, s, "/docs", "", http.StatusOK), -1)
	if len(links) < 40 {
		t.Fatalf("%d playground links", len(links))
	}
	for _, m := range links {
		u, err := url.Parse(html.UnescapeString(m[1]))
		if err != nil {
			t.Fatal(err)
		}
		doc, errs := gqlparser.LoadQueryWithRules(schema, u.Query().Get("query"), nil) // nil: the default rules
		if len(errs) > 0 {
			t.Errorf("%s: %v", u.Query().Get("query"), errs)
			continue
		}
		vars := map[string]any{}
		if v := u.Query().Get("variables"); v != "" {
			if err := json.Unmarshal([]byte(v), &vars); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := validator.VariableValues(schema, doc.Operations[0], vars); err != nil {
			t.Errorf("%s with %s: %v", u.Query().Get("query"), u.Query().Get("variables"), err)
		}
	}
}

// The playground page and every file it and the reference load come from
// this server, under the same CSP.
func TestPlaygroundAndAssets(t *testing.T) {
	s := apptest.Start(t)
	body := page(t, s, "/playground", "", http.StatusOK)
	for _, want := range []string{`<script src="/playground/assets/playground.js" defer></script>`, `<link rel="stylesheet" href="/playground/assets/playground.css">`,
		`<div id="graphiql" aria-label="GraphiQL">`} {
		if !strings.Contains(body, want) {
			t.Errorf("/playground has no %s", want)
		}
	}
	for path, ctype := range map[string]string{"/playground/assets/playground.js": "text/javascript; charset=utf-8", "/playground/assets/playground.css": "text/css; charset=utf-8",
		"/docs/static/docs.js": "text/javascript; charset=utf-8", "/docs/static/docs.css": "text/css; charset=utf-8"} {
		r := s.Do(t, http.MethodGet, path, nil, "")
		if r.Status != http.StatusOK || r.Header.Get("Content-Type") != ctype || r.Header.Get("Content-Security-Policy") != wantCSP || len(r.Body) < 1000 {
			t.Errorf("GET %s: %d %q %q, %d bytes", path, r.Status, r.Header.Get("Content-Type"), r.Header.Get("Content-Security-Policy"), len(r.Body))
		}
	}
	apptest.ExpectError(t, s.Do(t, http.MethodGet, "/playground/assets/nothing.js", nil, ""), http.StatusNotFound, "not found", "no route for GET /playground/assets/nothing.js", nil)
}
