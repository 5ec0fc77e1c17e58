package graph_test

import (
	"fmt"
	"net/http"
	"net/url"
	"testing"

	"fastcms/internal/apptest"
)

// A back-relation in where: (<collection>_via_<field>) holds when some
// record pointing here matches, as Hasura's array relationships do, through
// single and multi relations, in lists, aggregates and mutations, and only
// over the records the caller may view. REST filters walk it as a path.
func TestWhereBackRelation(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t)
	root := adminAccount(t, s)
	u := register(t, s, newEmail("back"))
	sh := newShop(t, s, root.Access)
	names := func(token, where string) []any {
		t.Helper()
		d := must(t, s, token, fmt.Sprintf(`{ %s(where: %s, order_by: {name: asc}) { name } }`, sh.people, where), nil)
		var out []any
		for _, p := range d[sh.people].([]any) {
			out = append(out, p.(map[string]any)["name"])
		}
		return out
	}
	for _, c := range []struct {
		where string
		want  []any
	}{
		{fmt.Sprintf(`{%s_via_owner: {score: {_gt: 5}}}`, sh.items), []any{"Bob"}},
		{fmt.Sprintf(`{%s_via_readers: {title: {_eq: "Apple pie"}}}`, sh.items), []any{"Ann", "Bob"}},
		{fmt.Sprintf(`{%s_via_owner: {}}`, sh.items), []any{"Ann", "Bob"}},
		{fmt.Sprintf(`{_not: {%s_via_readers: {}}}`, sh.items), nil},
		{fmt.Sprintf(`{%s_via_owner: {tags: {_contains: ["c"]}}, name: {_neq: "Ann"}}`, sh.items), []any{"Bob"}},
		{fmt.Sprintf(`{%s_via_owner: {owner: {name: {_eq: "Ann"}}}}`, sh.items), []any{"Ann"}},
	} {
		expectJSON(t, names(root.Access, c.where), c.want)
	}
	d := must(t, s, root.Access, fmt.Sprintf(`{ %s_aggregate(where: {%s_via_readers: {score: {_lt: 2}}}) { aggregate { count } } }`, sh.people, sh.items), nil)
	expectJSON(t, d, map[string]any{sh.people + "_aggregate": map[string]any{"aggregate": map[string]any{"count": 2.0}}})

	// REST: a back-relation is a multi-valued path.
	r := s.Do(t, http.MethodGet, "/api/v1/collections/"+sh.people+"/records?filter="+url.QueryEscape(sh.items+"_via_owner.score ?> 5"), nil, root.Access)
	if r.Status != http.StatusOK || len(r.JSON(t)["items"].([]any)) != 1 {
		t.Fatalf("REST back-relation filter: %d %s", r.Status, r.Body)
	}

	// Records the caller may not view are not there to match.
	notes := newName("notes")
	createColl(t, s, root.Access, notes, fmt.Sprintf(`[{name: "body", type: "text"}, {name: "person", type: "relation", relation: {collection: %q}}]`, sh.people), ``)
	insert(t, s, root.Access, notes, map[string]any{"body": "a secret", "person": sh.ann})
	where := fmt.Sprintf(`{%s_via_person: {body: {_like: "%%secret%%"}}}`, notes)
	expectJSON(t, names(root.Access, where), []any{"Ann"})
	expectJSON(t, names(u.Access, where), []any(nil))
	expectJSON(t, names("", where), []any(nil))
	filter := url.QueryEscape(notes + "_via_person.body ?~ \"secret\"")
	r = s.Do(t, http.MethodGet, "/api/v1/collections/"+sh.people+"/records?filter="+filter, nil, u.Access)
	if r.Status != http.StatusOK || len(r.JSON(t)["items"].([]any)) != 0 {
		t.Fatalf("REST back-relation filter over hidden records: %d %s", r.Status, r.Body)
	}
	d = must(t, s, u.Access, fmt.Sprintf(`mutation { update_%s(where: %s, _set: {name: "x"}) { affected_rows } }`, sh.people, where), nil)
	expectJSON(t, d, map[string]any{"update_" + sh.people: map[string]any{"affected_rows": 0.0}})
}
