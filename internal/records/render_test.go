package records

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"fastcms/internal/auth"
	"fastcms/internal/collections"
	"fastcms/internal/opt"
	"fastcms/internal/query"
)

var renderSeq atomic.Int64

// renderFixture is a people/posts/lists schema on the package's database:
// posts have a single relation to people (author) and lists a multi
// relation to posts (items), so posts have a back-relation of each kind
// (comments_via_post is single, lists_via_items multi).
type renderFixture struct {
	svc                            *Service
	snap                           func() *collections.Snapshot
	admin, user                    *auth.Principal
	people, posts, lists, comments string
	ann, bob, p1, p2               string
}

func newRenderFixture(t *testing.T) *renderFixture {
	t.Helper()
	db, registry, log := testRegistry(t)
	n := renderSeq.Add(1)
	f := &renderFixture{
		svc: New(db, registry), snap: registry.Current,
		admin:  &auth.Principal{UserID: "00000000-0000-4000-8000-000000000001", Role: auth.RoleAdmin},
		user:   &auth.Principal{UserID: "00000000-0000-4000-8000-000000000002", Role: auth.RoleUser},
		people: fmt.Sprintf("rp_people_%d", n), posts: fmt.Sprintf("rp_posts_%d", n),
		lists: fmt.Sprintf("rp_lists_%d", n), comments: fmt.Sprintf("rp_comments_%d", n),
	}
	adminCtx := auth.NewContext(context.Background(), f.admin, nil)
	cols := collections.NewService(db, registry, log, collections.Options{})
	notBob, everyone := "name != 'bob'", ""
	for _, in := range []collections.Input{
		{Name: opt.Some(f.people), ListRule: opt.Some(&everyone), ViewRule: opt.Some(&notBob), Schema: opt.Some([]*collections.Field{
			{Name: "name", Type: "text"},
			{Name: "salary", Type: "number", Hidden: true},
		})},
		{Name: opt.Some(f.posts), ListRule: opt.Some(&everyone), ViewRule: opt.Some(&everyone), Schema: opt.Some([]*collections.Field{
			{Name: "title", Type: "text"},
			{Name: "views", Type: "number"},
			{Name: "author", Type: "relation", Relation: &collections.RelationOptions{Collection: f.people}},
		})},
		{Name: opt.Some(f.lists), ListRule: opt.Some(&everyone), ViewRule: opt.Some(&everyone), Schema: opt.Some([]*collections.Field{
			{Name: "label", Type: "text"},
			{Name: "items", Type: "relation", Relation: &collections.RelationOptions{Collection: f.posts, MaxSelect: 10}},
		})},
		{Name: opt.Some(f.comments), ListRule: opt.Some(&everyone), ViewRule: opt.Some(&everyone), Schema: opt.Some([]*collections.Field{
			{Name: "body", Type: "text"},
			{Name: "post", Type: "relation", Relation: &collections.RelationOptions{Collection: f.posts}},
		})},
	} {
		if _, err := cols.Create(adminCtx, in); err != nil {
			t.Fatal(err)
		}
	}
	create := func(coll string, data map[string]any) string {
		t.Helper()
		rec, err := f.svc.Create(adminCtx, coll, data)
		if err != nil {
			t.Fatal(err)
		}
		return recordID(rec)
	}
	f.ann = create(f.people, map[string]any{"name": "ann", "salary": 10})
	f.bob = create(f.people, map[string]any{"name": "bob", "salary": 20})
	f.p1 = create(f.posts, map[string]any{"title": "one", "views": 5, "author": f.ann})
	f.p2 = create(f.posts, map[string]any{"title": "two", "views": 7, "author": f.bob})
	create(f.lists, map[string]any{"label": "both", "items": []any{f.p2, f.p1}})
	create(f.lists, map[string]any{"label": "first", "items": []any{f.p1}})
	create(f.comments, map[string]any{"body": "hi", "post": f.p1})
	return f
}

// table replaces {people}, {posts}, {lists} and {comments} in s with the
// fixture's tables.
func (f *renderFixture) table(s string) string {
	snap := f.snap()
	return strings.NewReplacer(
		"{people}", snap.Get(f.people).Table(), "{posts}", snap.Get(f.posts).Table(),
		"{lists}", snap.Get(f.lists).Table(), "{comments}", snap.Get(f.comments).Table(),
	).Replace(s)
}

func cols(names ...string) []Member {
	out := make([]Member, len(names))
	for i, n := range names {
		out[i] = Member{Key: n, Kind: Column, Name: n}
	}
	return out
}

func intp(n int) *int { return &n }

// TestRenderPlans renders a table of plans into SQL and arguments, checks
// both exactly, and runs each statement against PostgreSQL for its answer.
func TestRenderPlans(t *testing.T) {
	f := newRenderFixture(t)
	data := func(names ...string) Member { return Member{Key: "data", Kind: Object, Sub: cols(names...)} }
	restRows := func(p ListParams) Rows {
		rows, err := newScope(f.snap(), f.snap().Get(f.posts), f.user, nil).restRows(p)
		if err != nil {
			t.Fatal(err)
		}
		return rows
	}
	viewsGE := &query.Comparison{Op: query.Gte, Left: &query.Ident{Path: []string{"views"}}, Right: &query.Literal{Value: 6.0}}
	for _, tc := range []struct {
		name   string
		p      func() *auth.Principal
		op     Op
		sql    string
		args   []any
		answer string
	}{{
		name:   "a list in the default order: created, then id the same way",
		p:      func() *auth.Principal { return f.admin },
		op:     Op{Kind: ReadList, Collection: f.posts, Members: cols("title")},
		sql:    `SELECT (SELECT COALESCE(json_agg(gq1.j), '[]'::json) FROM (SELECT json_build_object('title', to_json("r"."title")) AS j FROM {posts} "r" WHERE TRUE AND TRUE AND TRUE ORDER BY "r"."created" ASC, "r"."id" ASC LIMIT 1000 OFFSET 0) gq1)`,
		answer: `[{"title":"one"},{"title":"two"}]`,
	}, {
		name:   "a field descending: the id breaks ties descending, NULLs where PostgreSQL puts them",
		p:      func() *auth.Principal { return f.admin },
		op:     Op{Kind: ReadList, Collection: f.posts, Rows: Rows{Order: []SortKey{{Path: []string{"views"}, Desc: true, NullsFirst: true}}}, Members: cols("title")},
		sql:    `SELECT (SELECT COALESCE(json_agg(gq1.j), '[]'::json) FROM (SELECT json_build_object('title', to_json("r"."title")) AS j FROM {posts} "r" WHERE TRUE AND TRUE AND TRUE ORDER BY "r"."views" DESC, "r"."id" DESC LIMIT 1000 OFFSET 0) gq1)`,
		answer: `[{"title":"two"},{"title":"one"}]`,
	}, {
		name:   "ascending with NULLs first names the placement",
		p:      func() *auth.Principal { return f.admin },
		op:     Op{Kind: ReadList, Collection: f.posts, Rows: Rows{Order: []SortKey{{Path: []string{"views"}, NullsFirst: true}}, Limit: intp(1), Offset: intp(1)}, Members: cols("title")},
		sql:    `SELECT (SELECT COALESCE(json_agg(gq1.j), '[]'::json) FROM (SELECT json_build_object('title', to_json("r"."title")) AS j FROM {posts} "r" WHERE TRUE AND TRUE AND TRUE ORDER BY "r"."views" ASC NULLS FIRST, "r"."id" ASC LIMIT 1 OFFSET 1) gq1)`,
		answer: `[{"title":"two"}]`,
	}, {
		name:   "a where compiles with bound arguments",
		p:      func() *auth.Principal { return f.user },
		op:     Op{Kind: ReadList, Collection: f.posts, Rows: Rows{Where: viewsGE}, Members: cols("title")},
		sql:    `SELECT (SELECT COALESCE(json_agg(gq1.j), '[]'::json) FROM (SELECT json_build_object('title', to_json("r"."title")) AS j FROM {posts} "r" WHERE TRUE AND ("r"."views" >= $1::double precision) AND TRUE ORDER BY "r"."created" ASC, "r"."id" ASC LIMIT 1000 OFFSET 0) gq1)`,
		args:   []any{6.0},
		answer: `[{"title":"two"}]`,
	}, {
		name: "a forward relation is read under the target's view rule",
		p:    func() *auth.Principal { return f.user },
		op: Op{Kind: ReadList, Collection: f.posts, Members: append(cols("title"),
			Member{Key: "by", Kind: Relation, Name: "author", Sub: cols("name")})},
		sql:    `SELECT (SELECT COALESCE(json_agg(gq2.j), '[]'::json) FROM (SELECT json_build_object('title', to_json("r"."title"), 'by', (SELECT json_build_object('name', to_json("gq1"."name")) FROM {people} "gq1" WHERE "gq1"."id" = "r"."author" AND ("gq1"."name" IS DISTINCT FROM $1::text))) AS j FROM {posts} "r" WHERE TRUE AND TRUE AND TRUE ORDER BY "r"."created" ASC, "r"."id" ASC LIMIT 1000 OFFSET 0) gq2)`,
		args:   []any{"bob"},
		answer: `[{"title":"one","by":{"name":"ann"}},{"title":"two","by":null}]`,
	}, {
		name:   "a hidden field is null for a non-admin",
		p:      func() *auth.Principal { return f.user },
		op:     Op{Kind: ReadList, Collection: f.people, Members: cols("name", "salary")},
		sql:    `SELECT (SELECT COALESCE(json_agg(gq1.j), '[]'::json) FROM (SELECT json_build_object('name', to_json("r"."name"), 'salary', NULL::json) AS j FROM {people} "r" WHERE TRUE AND TRUE AND TRUE ORDER BY "r"."created" ASC, "r"."id" ASC LIMIT 1000 OFFSET 0) gq1)`,
		answer: `[{"name":"ann","salary":null},{"name":"bob","salary":null}]`,
	}, {
		name: "a back-relation through a multi relation is @> (the GIN index)",
		p:    func() *auth.Principal { return f.admin },
		op: Op{Kind: ReadList, Collection: f.posts, Members: append(cols("title"),
			Member{Key: "in", Kind: BackRelation, Name: f.lists, Field: "items", Rows: &Rows{}, Sub: cols("label")})},
		sql:    `SELECT (SELECT COALESCE(json_agg(gq3.j), '[]'::json) FROM (SELECT json_build_object('title', to_json("r"."title"), 'in', (SELECT COALESCE(json_agg(gq2.j), '[]'::json) FROM (SELECT json_build_object('label', to_json("gq1"."label")) AS j FROM {lists} "gq1" WHERE "gq1"."items" @> ARRAY["r"."id"] AND TRUE AND TRUE ORDER BY "gq1"."created" ASC, "gq1"."id" ASC LIMIT 1000 OFFSET 0) gq2)) AS j FROM {posts} "r" WHERE TRUE AND TRUE AND TRUE ORDER BY "r"."created" ASC, "r"."id" ASC LIMIT 1000 OFFSET 0) gq3)`,
		answer: `[{"title":"one","in":[{"label":"both"},{"label":"first"}]},{"title":"two","in":[{"label":"both"}]}]`,
	}, {
		name: "a back-relation through a single relation, and its aggregate",
		p:    func() *auth.Principal { return f.admin },
		op: Op{Kind: ReadList, Collection: f.posts, Members: append(cols("title"),
			Member{Key: "comments", Kind: BackRelation, Name: f.comments, Field: "post", Rows: &Rows{}, Sub: cols("body")},
			Member{Key: "n", Kind: BackAggregate, Name: f.comments, Field: "post", Rows: &Rows{}, Sub: []Member{
				{Key: "aggregate", Kind: Aggregate, Sub: []Member{{Key: "count", Kind: Count}}}}})},
		sql:    `SELECT (SELECT COALESCE(json_agg(gq4.j), '[]'::json) FROM (SELECT json_build_object('title', to_json("r"."title"), 'comments', (SELECT COALESCE(json_agg(gq2.j), '[]'::json) FROM (SELECT json_build_object('body', to_json("gq1"."body")) AS j FROM {comments} "gq1" WHERE "gq1"."post" = "r"."id" AND TRUE AND TRUE ORDER BY "gq1"."created" ASC, "gq1"."id" ASC LIMIT 1000 OFFSET 0) gq2), 'n', json_build_object('aggregate', (SELECT json_build_object('count', count(*)) FROM {comments} "gq3" WHERE "gq3"."post" = "r"."id" AND TRUE AND TRUE GROUP BY ()))) AS j FROM {posts} "r" WHERE TRUE AND TRUE AND TRUE ORDER BY "r"."created" ASC, "r"."id" ASC LIMIT 1000 OFFSET 0) gq4)`,
		answer: `[{"title":"one","comments":[{"body":"hi"}],"n":{"aggregate":{"count":1}}},{"title":"two","comments":[],"n":{"aggregate":{"count":0}}}]`,
	}, {
		name: "order by a related field and by a back-relation's count",
		p:    func() *auth.Principal { return f.admin },
		op: Op{Kind: ReadList, Collection: f.posts, Rows: Rows{Order: []SortKey{
			{Path: []string{f.lists + "_via_items"}, Agg: "count", Desc: true, NullsFirst: true},
			{Path: []string{"author", "name"}},
		}}, Members: cols("title")},
		sql:    `SELECT (SELECT COALESCE(json_agg(gq3.j), '[]'::json) FROM (SELECT json_build_object('title', to_json("r"."title")) AS j FROM {posts} "r" WHERE TRUE AND TRUE AND TRUE ORDER BY (SELECT count(*) FROM {lists} "gq1" WHERE "gq1"."items" @> ARRAY["r"."id"] AND TRUE) DESC, (SELECT "gq2"."name" FROM {people} "gq2" WHERE "gq2"."id" = "r"."author" AND TRUE) ASC, "r"."id" ASC LIMIT 1000 OFFSET 0) gq3)`,
		answer: `[{"title":"one"},{"title":"two"}]`,
	}, {
		name: "REST's data and expand: a relation with nothing to show for the caller is left out",
		p:    func() *auth.Principal { return f.user },
		op: Op{Kind: ReadList, Collection: f.posts, Members: []Member{data("title"), {Key: "expand", Kind: Expand, Sub: []Member{
			{Key: "author", Kind: Relation, Name: "author", Sub: []Member{data("name")}},
			{Key: "comments", Kind: BackRelation, Name: f.comments, Field: "post", Rows: &Rows{Limit: intp(maxBackRelation)}, Sub: []Member{data("body")}},
		}}}},
		sql:    `SELECT (SELECT COALESCE(json_agg(gq5.j), '[]'::json) FROM (SELECT json_build_object('data', json_build_object('title', to_json("r"."title")), 'expand', COALESCE((SELECT json_object_agg(gq4.k, gq4.v ORDER BY gq4.n) FROM (VALUES (0, 'author', (SELECT json_build_object('data', json_build_object('name', to_json("gq1"."name"))) FROM {people} "gq1" WHERE "gq1"."id" = "r"."author" AND ("gq1"."name" IS DISTINCT FROM $1::text))), (1, 'comments', (SELECT COALESCE(json_agg(gq3.j), '[]'::json) FROM (SELECT json_build_object('data', json_build_object('body', to_json("gq2"."body"))) AS j FROM {comments} "gq2" WHERE "gq2"."post" = "r"."id" AND TRUE AND TRUE ORDER BY "gq2"."created" ASC, "gq2"."id" ASC LIMIT 100 OFFSET 0) gq3))) gq4(n, k, v) WHERE gq4.v::text NOT IN ('null', '[]')), '{}'::json)) AS j FROM {posts} "r" WHERE TRUE AND TRUE AND TRUE ORDER BY "r"."created" ASC, "r"."id" ASC LIMIT 1000 OFFSET 0) gq5)`,
		args:   []any{"bob"},
		answer: `[{"data":{"title":"one"},"expand":{"author":{"data":{"name":"ann"}},"comments":[{"data":{"body":"hi"}}]}},{"data":{"title":"two"},"expand":{}}]`,
	}, {
		name: "REST's expand of a multi relation keeps the ids' order; an expand of nothing is null",
		p:    func() *auth.Principal { return f.user },
		op: Op{Kind: ReadList, Collection: f.lists, Members: []Member{data("label"), {Key: "expand", Kind: Expand, Sub: []Member{
			{Key: "items", Kind: Relation, Name: "items", Sub: []Member{data("title")}}}}, {Key: "none", Kind: Expand}}},
		sql:    `SELECT (SELECT COALESCE(json_agg(gq3.j), '[]'::json) FROM (SELECT json_build_object('data', json_build_object('label', to_json("r"."label")), 'expand', COALESCE((SELECT json_object_agg(gq2.k, gq2.v ORDER BY gq2.n) FROM (VALUES (0, 'items', COALESCE((SELECT json_agg(json_build_object('data', json_build_object('title', to_json("gq1"."title"))) ORDER BY array_position("r"."items", "gq1"."id")) FROM {posts} "gq1" WHERE "gq1"."id" = ANY("r"."items") AND TRUE), '[]'::json))) gq2(n, k, v) WHERE gq2.v::text NOT IN ('null', '[]')), '{}'::json), 'none', NULL) AS j FROM {lists} "r" WHERE TRUE AND TRUE AND TRUE ORDER BY "r"."created" ASC, "r"."id" ASC LIMIT 1000 OFFSET 0) gq3)`,
		answer: `[{"data":{"label":"both"},"expand":{"items":[{"data":{"title":"two"}},{"data":{"title":"one"}}]},"none":null},{"data":{"label":"first"},"expand":{"items":[{"data":{"title":"one"}}]},"none":null}]`,
	}, {
		name:   "a count of REST's filtered list",
		p:      func() *auth.Principal { return f.user },
		op:     Op{Kind: ReadCount, Collection: f.posts, Rows: restRows(ListParams{Filter: "views >= 6"})},
		sql:    `SELECT to_json(count(*)) FROM {posts} r WHERE TRUE AND ("r"."views" >= $1::double precision) AND TRUE`,
		args:   []any{6.0},
		answer: `1`,
	}, {
		name:   "a by-id with no record id renders nothing",
		p:      func() *auth.Principal { return f.user },
		op:     Op{Kind: ReadByID, Collection: f.posts, ID: "nope", Members: cols("title")},
		sql:    "",
		answer: ``,
	}} {
		t.Run(tc.name, func(t *testing.T) {
			stmt, args, err := Render(f.snap(), tc.p(), tc.op)
			if err != nil {
				t.Fatal(err)
			}
			if stmt == "" && tc.answer == "" {
				return
			}
			if want := f.table(tc.sql); stmt != want {
				t.Errorf("sql:\n got %s\nwant %s", stmt, want)
			}
			if fmt.Sprint(args) != fmt.Sprint(tc.args) {
				t.Errorf("args: got %v, want %v", args, tc.args)
			}
			var got []byte
			if err := f.svc.db.QueryRow(stmt, args...).Scan(&got); err != nil {
				t.Fatal(err)
			}
			if !jsonEqual(got, []byte(f.table(tc.answer))) {
				t.Errorf("answer:\n got %s\nwant %s", got, f.table(tc.answer))
			}
		})
	}
}

func jsonEqual(a, b []byte) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	return fmt.Sprint(x) == fmt.Sprint(y)
}

// TestRESTOrderBy holds REST's sort, translated into order keys, to the
// shared order builder: the id breaks ties in the last key's direction,
// PostgreSQL's NULL placement is left implicit, and the search rank leads
// only without a sort.
func TestRESTOrderBy(t *testing.T) {
	fields := map[string]*collections.Field{"title": {Name: "title", Type: "text"}, "tags": {Name: "tags", Type: "json"}}
	visible := func(name string) *collections.Field { return fields[name] }
	rank := []SortKey{{Rank: true, Desc: true, NullsFirst: true}, {Path: []string{"created"}}}
	for _, tc := range []struct {
		sort string
		want []SortKey
		err  string
	}{
		{sort: "", want: nil},
		{sort: "-created", want: []SortKey{{Path: []string{"created"}, Desc: true, NullsFirst: true}}},
		{sort: "title,-created", want: []SortKey{{Path: []string{"title"}}, {Path: []string{"created"}, Desc: true, NullsFirst: true}}},
		{sort: "-title, +id", want: []SortKey{{Path: []string{"title"}, Desc: true, NullsFirst: true}, {Path: []string{"id"}}}},
		{sort: "@random", want: []SortKey{{Random: true}}},
		{sort: "nope", err: `sort: unknown field "nope" (item 1)`},
		{sort: "title,tags", err: `sort: field "tags" cannot be sorted`},
	} {
		got, err := restOrder(tc.sort, visible)
		if tc.err != "" {
			if err == nil || err.Error() != tc.err {
				t.Errorf("%q: got error %v, want %s", tc.sort, err, tc.err)
			}
			continue
		}
		if err != nil || fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("%q: got %v (%v), want %v", tc.sort, got, err, tc.want)
		}
	}
	f := newRenderFixture(t)
	for _, tc := range []struct {
		order []SortKey
		want  string
	}{
		{nil, `"r"."created" ASC, "r"."id" ASC`},
		{[]SortKey{{Path: []string{"created"}, Desc: true, NullsFirst: true}}, `"r"."created" DESC, "r"."id" DESC`},
		{[]SortKey{{Path: []string{"title"}}, {Path: []string{"created"}, Desc: true, NullsFirst: true}}, `"r"."title" ASC, "r"."created" DESC, "r"."id" DESC`},
		{[]SortKey{{Path: []string{"title"}, Desc: true, NullsFirst: true}, {Path: []string{"id"}}}, `"r"."title" DESC, "r"."id" ASC`},
		{[]SortKey{{Random: true}}, `random() ASC`},
	} {
		_, got, _, err := RenderRows(f.snap(), f.admin, f.snap().Get(f.posts), Rows{Order: tc.order})
		if err != nil || got != tc.want {
			t.Errorf("%v: got %s (%v), want %s", tc.order, got, err, tc.want)
		}
	}
	_, got, _, err := RenderRows(f.snap(), f.admin, f.snap().Get(f.posts), Rows{Order: rank, Search: "one"})
	if want := `ts_rank(r."_search", websearch_to_tsquery('fastcms_search'::regconfig, $1::text)) DESC, "r"."created" ASC, "r"."id" ASC`; err != nil || got != want {
		t.Errorf("ranked: got %s (%v), want %s", got, err, want)
	}
}

// TestBuildObjectKeepsOrder builds an object of more pairs than
// json_build_object takes arguments and checks PostgreSQL keeps every key
// in the order given (a jsonb concatenation would sort them).
func TestBuildObjectKeepsOrder(t *testing.T) {
	db, _, _ := testRegistry(t)
	for _, n := range []int{0, 1, 50, 51, 120} {
		pairs := make([]string, n)
		want := make([]string, n)
		for i := range pairs {
			key := fmt.Sprintf("k%03d", n-i) // descending, so sorting would show
			pairs[i] = quoteLiteral(key) + ", " + fmt.Sprint(i)
			want[i] = fmt.Sprintf("%q:%d", key, i)
		}
		var got string
		if err := db.QueryRow("SELECT (" + buildObject(pairs) + ")::text").Scan(&got); err != nil {
			t.Fatal(n, err)
		}
		got = strings.NewReplacer(" ", "").Replace(got)
		if w := "{" + strings.Join(want, ",") + "}"; got != w {
			t.Errorf("%d pairs: got %s, want %s", n, got, w)
		}
	}
}

// TestBackRelationThroughMultiUsesGIN renders a back-relation through a
// multi relation and asks PostgreSQL for its plan: the relation's GIN
// index answers it (sequential scans are priced out, so the test shows
// the index can be used, whatever the tiny table's statistics say).
func TestBackRelationThroughMultiUsesGIN(t *testing.T) {
	f := newRenderFixture(t)
	stmt, args, err := Render(f.snap(), f.admin, Op{Kind: ReadList, Collection: f.posts, Members: []Member{
		{Key: "in", Kind: BackRelation, Name: f.lists, Field: "items", Rows: &Rows{}, Sub: cols("label")}}})
	if err != nil {
		t.Fatal(err)
	}
	tx, err := f.svc.db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback() //nolint:errcheck // read only
	if _, err := tx.Exec("SET LOCAL enable_seqscan = off"); err != nil {
		t.Fatal(err)
	}
	rows, err := tx.Query("EXPLAIN "+stmt, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, line)
	}
	index := "ix_" + f.snap().Get(f.lists).Field("items").ID
	text := strings.Join(plan, "\n")
	if !strings.Contains(text, "Bitmap Index Scan on "+index) {
		t.Errorf("the back-relation does not use %s:\n%s", index, text)
	}
	t.Logf("%s\n%s", stmt, text)
}

// TestRESTRowsErrors holds the REST translation's errors to REST's names
// for its parameters (filter with the position, sort), for a field the
// caller may not see as for a missing one.
func TestRESTRowsErrors(t *testing.T) {
	f := newRenderFixture(t)
	sc := newScope(f.snap(), f.snap().Get(f.people), f.user, nil)
	for _, tc := range []struct {
		p    ListParams
		want string
	}{
		{ListParams{Filter: "salary > 1"}, `filter: unknown field "salary" at position 0`},
		{ListParams{Filter: "name = "}, `filter: unexpected end of expression at position 7`},
		{ListParams{Sort: "-salary"}, `sort: unknown field "salary" (item 1)`},
	} {
		if _, err := sc.restRows(tc.p); err == nil || err.Error() != tc.want {
			t.Errorf("%+v: got %v, want %s", tc.p, err, tc.want)
		}
	}
}

// TestPlanErrorsAreNeutral renders plans with a mistake in a part and
// checks the error names the part neutrally, and as each adapter's names
// make it.
func TestPlanErrorsAreNeutral(t *testing.T) {
	f := newRenderFixture(t)
	rest := map[Part]string{PartOrder: "sort", PartLimit: "per_page"}
	gql := map[Part]string{PartOrder: "order_by", PartDistinct: "distinct_on", PartFirst: "first", PartLast: "last", PartAfter: "after"}
	for _, tc := range []struct {
		op                 Op
		part               Part
		neutral, rest, gql string
	}{
		{Op{Kind: ReadList, Collection: f.posts, Rows: Rows{Order: []SortKey{{Path: []string{"nope"}}}}}, PartOrder,
			`order: field "nope" cannot be sorted`, `sort: field "nope" cannot be sorted`, `order_by: field "nope" cannot be sorted`},
		{Op{Kind: ReadList, Collection: f.posts, Rows: Rows{Limit: intp(-1)}}, PartLimit,
			`limit must be between 0 and 1000`, `per_page must be between 0 and 1000`, `limit must be between 0 and 1000`},
		{Op{Kind: ReadList, Collection: f.posts, Rows: Rows{DistinctOn: []string{"title"}, Order: []SortKey{{Path: []string{"views"}}}}}, PartDistinct,
			`distinct: order must start with the distinct columns`, `distinct: sort must start with the distinct columns`, `distinct_on: order_by must start with the distinct_on columns`},
		{Op{Kind: ReadConnection, Collection: f.posts, Rows: Rows{First: intp(1), Last: intp(1)}}, PartFirst,
			`give first or last, not both`, `give first or last, not both`, `give first or last, not both`},
		{Op{Kind: ReadConnection, Collection: f.posts, Rows: Rows{After: new(string)}}, PartAfter,
			`after: invalid cursor`, `after: invalid cursor`, `after: invalid cursor`},
	} {
		_, _, err := Render(f.snap(), f.admin, tc.op)
		pe, ok := err.(*PartError)
		if !ok || pe.Part != tc.part || err.Error() != tc.neutral {
			t.Errorf("got %v, want %s (%s)", err, tc.neutral, tc.part)
			continue
		}
		if got := NamePlanError(err, rest).Error(); got != tc.rest {
			t.Errorf("REST: got %s, want %s", got, tc.rest)
		}
		if got := NamePlanError(err, gql).Error(); got != tc.gql {
			t.Errorf("GraphQL: got %s, want %s", got, tc.gql)
		}
	}
}
