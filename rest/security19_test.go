package rest_test

import (
	"fmt"
	"net/http"
	"testing"

	"fastcms/internal/apptest"
)

// A page number whose offset does not fit in an int is bad input, on every
// paged list, not an overflow into a negative OFFSET.
func TestSecurity19HugePage(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t)
	root := admin(t, s)
	name := newName("pages")
	createCollection(t, s, root.Access, map[string]any{"name": name, "schema": []any{field("title", "text")}, "list_rule": "", "view_rule": ""})
	for _, path := range []string{
		"/api/v1/collections/" + name + "/records?page=9223372036854775807",
		"/api/v1/collections/" + name + "/records?page=922337203685477582&per_page=10",
		"/api/v1/collections/" + name + "/records?page=9223372036854775807&skipTotal=1",
		"/api/v1/collections?page=9223372036854775807",
		"/api/v1/admin/users?page=9223372036854775807&per_page=100",
	} {
		apptest.ExpectError(t, s.Do(t, http.MethodGet, path, nil, root.Access), http.StatusBadRequest, "bad request", "page is too large", nil)
	}
	// The largest page that fits is an empty page, not an error.
	r := s.Do(t, http.MethodGet, "/api/v1/collections/"+name+"/records?page=461168601842738790&per_page=20", nil, "")
	apptest.ExpectJSON(t, r, http.StatusOK, map[string]any{"items": []any{}, "total": 0.0, "page": 461168601842738790.0, "per_page": 20.0, "total_pages": 0.0})
}

// An aggregate that selects only fields the caller may not see answers
// nulls, as it does when hidden fields sit beside visible ones, instead of
// a subquery that returns one row per record (a 500).
func TestSecurity19AggregateOfHiddenFields(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t)
	root := admin(t, s)
	user := register(t, s, newEmail("agg19"))
	name := newName("scores")
	createCollection(t, s, root.Access, map[string]any{"name": name, "list_rule": "", "view_rule": "", "schema": []any{
		field("title", "text"), field("views", "number"), field("score", "number", "hidden", true)}})
	for i, title := range []string{"a", "b", "c"} {
		r := s.Do(t, http.MethodPost, "/api/v1/collections/"+name+"/records", map[string]any{"data": map[string]any{"title": title, "views": i + 1, "score": 10 * (i + 1)}}, root.Access)
		if r.Status != http.StatusCreated {
			t.Fatalf("create: %d %s", r.Status, r.Body)
		}
	}
	hidden := map[string]any{"score": nil}
	for _, tc := range []struct {
		who, token string
		where      string
		want       map[string]any
	}{
		{"anonymous", "", "", map[string]any{"sum": hidden, "avg": hidden, "min": hidden, "max": hidden}},
		{"user", user.Access, "", map[string]any{"sum": hidden, "avg": hidden, "min": hidden, "max": hidden}},
		{"user, nothing matches", user.Access, `(where: {title: {_eq: "none"}})`, map[string]any{"sum": hidden, "avg": hidden, "min": hidden, "max": hidden}},
		{"admin", root.Access, "", map[string]any{"sum": map[string]any{"score": 60.0}, "avg": map[string]any{"score": 20.0},
			"min": map[string]any{"score": 10.0}, "max": map[string]any{"score": 30.0}}},
	} {
		q := fmt.Sprintf(`{ %s_aggregate%s { aggregate { sum { score } avg { score } min { score } max { score } } } }`, name, tc.where)
		r, body := s.GraphQL(t, q, nil, tc.token)
		if r.Status != http.StatusOK || body["errors"] != nil {
			t.Fatalf("%s: %d %s", tc.who, r.Status, r.Body)
		}
		if diff := apptest.Diff(body["data"], map[string]any{name + "_aggregate": map[string]any{"aggregate": tc.want}}, "$"); diff != "" {
			t.Errorf("%s: %s\nbody: %s", tc.who, diff, r.Body)
		}
	}
	// Only a __typename inside aggregate is one object too.
	q := fmt.Sprintf(`{ %[1]s_aggregate { aggregate { __typename sum { __typename score } } } }`, name)
	r, body := s.GraphQL(t, q, nil, user.Access)
	if r.Status != http.StatusOK || body["errors"] != nil {
		t.Fatalf("__typename only: %d %s", r.Status, r.Body)
	}
}
