package rest_test

import (
	"net/http"
	"testing"
	"time"

	"fastcms/internal/apptest"
)

// listTotal lists coll with its default total and returns total and
// total_pages.
func listTotal(t *testing.T, s *apptest.Server, coll, query string) (total, pages float64) {
	t.Helper()
	r := s.Do(t, http.MethodGet, "/api/v1/collections/"+coll+"/records?per_page=2"+query, nil, "")
	if r.Status != http.StatusOK {
		t.Fatalf("list %s: %d %s", coll, r.Status, r.Body)
	}
	m := r.JSON(t)
	return m["total"].(float64), m["total_pages"].(float64)
}

// List totals are remembered between lists (records/totals.go) but stay
// exact: every write, a cascading delete and, through the event log,
// another instance's write renew them.
func TestListTotalsFollowWrites(t *testing.T) {
	t.Parallel()
	a, b := apptest.Start(t), apptest.Start(t)
	root := admin(t, a)
	parents := newName("totparents")
	createCollection(t, a, root.Access, map[string]any{"name": parents, "list_rule": "", "view_rule": "", "schema": []any{field("n", "number")}})
	kids := newName("totkids")
	createCollection(t, a, root.Access, map[string]any{"name": kids, "list_rule": "", "view_rule": "", "schema": []any{
		field("n", "number"),
		field("parent", "relation", "relation", map[string]any{"collection": parents, "cascade_delete": true}),
	}})
	create := func(s *apptest.Server, coll string, data map[string]any) string {
		t.Helper()
		r := s.Do(t, http.MethodPost, "/api/v1/collections/"+coll+"/records", map[string]any{"data": data}, root.Access)
		if r.Status != http.StatusCreated {
			t.Fatalf("create in %s: %d %s", coll, r.Status, r.Body)
		}
		return r.JSON(t)["id"].(string)
	}
	expect := func(s *apptest.Server, coll, query string, total, pages float64) {
		t.Helper()
		if n, p := listTotal(t, s, coll, query); n != total || p != pages {
			t.Fatalf("%s%s: total %v, total_pages %v; want %v, %v", coll, query, n, p, total, pages)
		}
	}
	expect(a, kids, "", 0, 0)
	parent := create(a, parents, map[string]any{"n": 1})
	for i := 0; i < 3; i++ {
		create(a, kids, map[string]any{"n": i, "parent": parent})
	}
	expect(a, kids, "", 3, 2)
	expect(a, kids, "", 3, 2) // remembered
	expect(a, kids, "&filter=n%3E0", 2, 1)

	// A write of this instance counts at once.
	lone := create(a, kids, map[string]any{"n": 9})
	expect(a, kids, "", 4, 2)
	expect(a, kids, "&filter=n%3E0", 3, 2)
	if r := a.Do(t, http.MethodPatch, "/api/v1/collections/"+kids+"/records/"+lone, map[string]any{"data": map[string]any{"n": 0}}, root.Access); r.Status != http.StatusOK {
		t.Fatalf("update: %d %s", r.Status, r.Body)
	}
	expect(a, kids, "&filter=n%3E0", 2, 1)

	// Deleting the parent deletes its three kids with it (a cascade logs
	// no event of its own).
	if r := a.Do(t, http.MethodDelete, "/api/v1/collections/"+parents+"/records/"+parent, nil, root.Access); r.Status != http.StatusNoContent {
		t.Fatalf("delete: %d %s", r.Status, r.Body)
	}
	expect(a, kids, "", 1, 1)

	// A write through the other instance reaches this one's totals once
	// its event is sequenced.
	expect(b, kids, "", 1, 1)
	create(b, kids, map[string]any{"n": 5})
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if n, _ := listTotal(t, a, kids, ""); n == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("instance A never counted B's record")
		}
	}
	expect(a, kids, "", 2, 1)
}
