package rest_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"fastcms/internal/apptest"
)

// Every write through REST logs one event per changed record, in order,
// with the record after (data) and before (old) the change; a refused
// write logs nothing.
func TestWritesLogEvents(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t)
	root := admin(t, s)
	name := newName("logged")
	createCollection(t, s, root.Access, map[string]any{"name": name, "list_rule": "", "view_rule": "", "update_rule": "", "delete_rule": "",
		"schema": []any{field("title", "text", "validation", map[string]any{"required": true}), field("n", "number")}})
	recs := "/api/v1/collections/" + name + "/records"
	a := s.Do(t, http.MethodPost, recs, map[string]any{"data": map[string]any{"title": "a", "n": 1}}, root.Access).JSON(t)["id"].(string)
	b := s.Do(t, http.MethodPost, recs, map[string]any{"data": map[string]any{"title": "b"}}, root.Access).JSON(t)["id"].(string)
	s.Do(t, http.MethodPatch, recs+"/"+a, map[string]any{"data": map[string]any{"n+": 2}}, "")
	s.Do(t, http.MethodPatch, recs+"/"+a, map[string]any{"data": map[string]any{"title": nil}}, "") // refused: 422
	s.Do(t, http.MethodPost, recs+"/bulk-update", map[string]any{"record_ids": []any{a, b}, "data": map[string]any{"title": "z"}}, "")
	s.Do(t, http.MethodDelete, recs+"/"+b, nil, "")

	// The sequencer stamps committed events after commit, a few
	// milliseconds later (it paces its stamps): unstamped events have no
	// order yet.
	apptest.WaitFor(t, "every event to be sequenced", func() bool {
		var n int
		err := s.DB(t).QueryRow("SELECT count(*) FROM events WHERE collection = ? AND seq IS NULL", name).Scan(&n)
		return err == nil && n == 0
	})
	rows, err := s.DB(t).Query("SELECT op, record_id, data, old FROM events WHERE collection = ? ORDER BY seq", name)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	type ev struct {
		op, id    string
		data, old map[string]any
	}
	var got []ev
	for rows.Next() {
		var e ev
		var data, old []byte
		if err := rows.Scan(&e.op, &e.id, &data, &old); err != nil {
			t.Fatal(err)
		}
		if data != nil {
			json.Unmarshal(data, &e.data) //nolint:errcheck // checked by the comparisons below
		}
		if old != nil {
			json.Unmarshal(old, &e.old) //nolint:errcheck
		}
		got = append(got, e)
	}
	rec := func(id, title string, n any) map[string]any {
		return map[string]any{"id": id, "data": map[string]any{"title": title, "n": n}, "created": apptest.AnyTime, "updated": apptest.AnyTime, "expand": nil}
	}
	want := []struct {
		op, id    string
		data, old any
	}{
		{"INSERT", a, rec(a, "a", 1.0), nil},
		{"INSERT", b, rec(b, "b", nil), nil},
		{"UPDATE", a, rec(a, "a", 3.0), rec(a, "a", 1.0)},
		{"UPDATE", a, rec(a, "z", 3.0), rec(a, "a", 3.0)},
		{"UPDATE", b, rec(b, "z", nil), rec(b, "b", nil)},
		{"DELETE", b, nil, rec(b, "z", nil)},
	}
	if len(got) != len(want) {
		t.Fatalf("%d events, want %d: %+v", len(got), len(want), got)
	}
	for i, w := range want {
		g := got[i]
		var gd, gold any
		if g.data != nil {
			gd = g.data
		}
		if g.old != nil {
			gold = g.old
		}
		if g.op != w.op || g.id != w.id {
			t.Fatalf("event %d: %s %s, want %s %s", i, g.op, g.id, w.op, w.id)
		}
		if d := apptest.Diff(gd, w.data, "data"); d != "" {
			t.Fatalf("event %d: %s", i, d)
		}
		if d := apptest.Diff(gold, w.old, "old"); d != "" {
			t.Fatalf("event %d: %s", i, d)
		}
	}
}
