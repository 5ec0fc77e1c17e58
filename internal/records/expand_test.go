package records

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/lib/pq"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"

	"fastcms/internal/auth"
	"fastcms/internal/collections"
	"fastcms/internal/opt"
	"fastcms/internal/page"
	"fastcms/internal/pgtest"
)

var expandSeq atomic.Int64

// expandFixture is a posts/people/comments schema served by two services on
// the package's database: svc to arrange, and spy, whose connections record
// every statement (recordingConnector of bench_test.go), to measure.
type expandFixture struct {
	svc, spy                *Service
	rec                     *recorder
	db                      *sql.DB
	admin, user             context.Context
	people, posts, comments string
	ann, nobody             string
}

func newExpandFixture(t *testing.T) *expandFixture {
	t.Helper()
	ctx := context.Background()
	db, registry, log := testRegistry(t)
	connector, err := pq.NewConnector(pgtest.URL())
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	spyDB := sql.OpenDB(recordingConnector{connector, rec})
	t.Cleanup(func() { spyDB.Close() })

	n := expandSeq.Add(1)
	f := &expandFixture{
		svc: New(db, registry), spy: New(bun.NewDB(spyDB, pgdialect.New()), registry), rec: rec, db: db.DB,
		admin:  auth.NewContext(ctx, &auth.Principal{UserID: "00000000-0000-4000-8000-000000000001", Role: auth.RoleAdmin}, nil),
		user:   auth.NewContext(ctx, &auth.Principal{UserID: "00000000-0000-4000-8000-000000000002", Role: auth.RoleUser}, nil),
		people: fmt.Sprintf("xp_people_%d", n), posts: fmt.Sprintf("xp_posts_%d", n), comments: fmt.Sprintf("xp_comments_%d", n),
	}
	// spy is a second instance on the same database with no event log to
	// renew its list totals (totals.go): it follows svc's writes instead.
	f.spy.FollowLog(f.svc.totals.writes.Load)
	cols := collections.NewService(db, registry, log, collections.Options{})
	// The rules of posts and comments go through relations, so their
	// compiled subqueries (_q1, …) nest inside the expansion's.
	notNobody, byAuthor, onPost := "name != 'nobody'", "author.name != 'nobody'", "post.title != 'hidden'"
	for _, in := range []collections.Input{
		{Name: opt.Some(f.people), ViewRule: opt.Some(&notNobody), Schema: opt.Some([]*collections.Field{{Name: "name", Type: "text"}})},
		{Name: opt.Some(f.posts), ListRule: opt.Some(&byAuthor), ViewRule: opt.Some(&byAuthor), Schema: opt.Some([]*collections.Field{
			{Name: "title", Type: "text"},
			{Name: "author", Type: "relation", Relation: &collections.RelationOptions{Collection: f.people}},
			{Name: "readers", Type: "relation", Relation: &collections.RelationOptions{Collection: f.people, MaxSelect: 5}},
		})},
		{Name: opt.Some(f.comments), ViewRule: opt.Some(&onPost), Schema: opt.Some([]*collections.Field{
			{Name: "body", Type: "text"},
			{Name: "post", Type: "relation", Relation: &collections.RelationOptions{Collection: f.posts}},
		})},
	} {
		if _, err := cols.Create(f.admin, in); err != nil {
			t.Fatal(err)
		}
	}
	f.ann = f.create(t, f.people, map[string]any{"name": "ann"})
	f.nobody = f.create(t, f.people, map[string]any{"name": "nobody"})
	return f
}

func (f *expandFixture) create(t *testing.T, collection string, data map[string]any) string {
	t.Helper()
	raw, err := f.svc.Create(f.admin, collection, data)
	if err != nil {
		t.Fatal(err)
	}
	var rec struct{ ID string }
	if err := json.Unmarshal(raw, &rec); err != nil {
		t.Fatal(err)
	}
	return rec.ID
}

// addPosts adds n posts by ann read by nobody and ann, each with two comments.
func (f *expandFixture) addPosts(t *testing.T, n int) {
	t.Helper()
	for range n {
		id := f.create(t, f.posts, map[string]any{"title": "post", "author": f.ann, "readers": []any{f.nobody, f.ann}})
		f.create(t, f.comments, map[string]any{"body": "first", "post": id})
		f.create(t, f.comments, map[string]any{"body": "second", "post": id})
	}
}

// expandedRecord is the part of a RecordResponse the tests look at.
type expandedRecord struct {
	ID     string
	Data   map[string]any
	Expand map[string]json.RawMessage
}

// listPosts lists the posts with every kind of expansion through spy, and
// returns them with the statements the list issued.
func (f *expandFixture) listPosts(t *testing.T) ([]expandedRecord, []capturedStmt) {
	t.Helper()
	perPage := 30 // within the expand budget: 30 × (1 + 5 + 3 × maxBackRelation)
	req, err := page.New(nil, &perPage, false)
	if err != nil {
		t.Fatal(err)
	}
	f.rec.reset()
	list, err := f.spy.List(f.user, f.posts, ListParams{Page: req,
		Expand: []string{"author", "readers", f.comments + "_via_post", f.comments + "_via_post.post.author"}})
	if err != nil {
		t.Fatal(err)
	}
	stmts := f.rec.take()
	var items []expandedRecord
	if err := json.Unmarshal(list.Items, &items); err != nil {
		t.Fatal(err)
	}
	if len(items) != list.Total {
		t.Fatalf("%d items, total %d", len(items), list.Total)
	}
	return items, stmts
}

// Expanding is part of the statement that lists the records: the number
// of statements does not grow with the number of records.
func TestExpandStatementCount(t *testing.T) {
	f := newExpandFixture(t)
	f.addPosts(t, 2)
	small, smallStmts := f.listPosts(t)
	f.addPosts(t, 28)
	big, bigStmts := f.listPosts(t)
	if len(small) != 2 || len(big) != 30 {
		t.Fatalf("listed %d and %d posts, want 2 and 30", len(small), len(big))
	}
	// The count and the page.
	if len(smallStmts) != 2 || len(bigStmts) != 2 {
		t.Fatalf("2 posts took %d statements, 30 took %d; want 2 each:\n%v\n%v", len(smallStmts), len(bigStmts), smallStmts, bigStmts)
	}
	for _, it := range big {
		var author expandedRecord
		var readers, comments []expandedRecord
		for key, dst := range map[string]any{"author": &author, "readers": &readers, f.comments + "_via_post": &comments} {
			if err := json.Unmarshal(it.Expand[key], dst); err != nil {
				t.Fatalf("expand.%s of %s: %v", key, it.ID, err)
			}
		}
		// nobody is hidden from the user by the people's view rule.
		if author.ID != f.ann || len(readers) != 1 || readers[0].ID != f.ann || len(comments) != 2 ||
			comments[0].Data["body"] != "first" || comments[1].Data["body"] != "second" {
			t.Fatalf("post %s expanded wrongly: %+v %+v %+v", it.ID, author, readers, comments)
		}
		var back expandedRecord
		if err := json.Unmarshal(comments[1].Expand["post"], &back); err != nil || back.ID != it.ID {
			t.Fatalf("comment of %s expands post %s (%v)", it.ID, back.ID, err)
		}
		if err := json.Unmarshal(back.Expand["author"], &author); err != nil || author.ID != f.ann {
			t.Fatalf("post %s through its comment: author %s (%v)", it.ID, author.ID, err)
		}
	}
}

// A back-relation embeds at most maxBackRelation records, the oldest first.
func TestExpandBackRelationCap(t *testing.T) {
	f := newExpandFixture(t)
	post := f.create(t, f.posts, map[string]any{"title": "popular"})
	if _, err := f.db.Exec("INSERT INTO "+collections.TableOf(f.comments)+` (body, post, created)
SELECT 'c' || i, $1, now() - make_interval(secs => i) FROM generate_series(1, $2::int) AS i`, post, maxBackRelation+1); err != nil {
		t.Fatal(err)
	}
	raw, err := f.svc.Get(f.user, f.posts, post, GetParams{Expand: []string{f.comments + "_via_post"}})
	if err != nil {
		t.Fatal(err)
	}
	var got expandedRecord
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatal(err)
	}
	var comments []expandedRecord
	if err := json.Unmarshal(got.Expand[f.comments+"_via_post"], &comments); err != nil {
		t.Fatal(err)
	}
	if len(comments) != maxBackRelation {
		t.Fatalf("%d comments embedded, want %d", len(comments), maxBackRelation)
	}
	// c1001 is the oldest, c2 the newest kept; c1 is left out.
	if first, last := comments[0].Data["body"], comments[len(comments)-1].Data["body"]; first != fmt.Sprint("c", maxBackRelation+1) || last != "c2" {
		t.Fatalf("embedded %v … %v, want c%d … c2", first, last, maxBackRelation+1)
	}
}

// A target's rule that goes through a relation ("post.title != 'hidden'")
// is evaluated for each embedded record.
func TestExpandRuleThroughRelation(t *testing.T) {
	f := newExpandFixture(t)
	hidden := f.create(t, f.posts, map[string]any{"title": "hidden"})
	f.create(t, f.comments, map[string]any{"body": "x", "post": hidden})
	for _, c := range []struct {
		who  context.Context
		want int
	}{{f.user, 0}, {f.admin, 1}} {
		raw, err := f.svc.Get(c.who, f.posts, hidden, GetParams{Expand: []string{f.comments + "_via_post"}})
		if err != nil {
			t.Fatal(err)
		}
		var got expandedRecord
		if err := json.Unmarshal(raw, &got); err != nil {
			t.Fatal(err)
		}
		var comments []expandedRecord
		if v, ok := got.Expand[f.comments+"_via_post"]; ok {
			if err := json.Unmarshal(v, &comments); err != nil {
				t.Fatal(err)
			}
		}
		if len(comments) != c.want || got.Expand == nil {
			t.Fatalf("%d comments embedded, want %d: %s", len(comments), c.want, raw)
		}
	}
}
