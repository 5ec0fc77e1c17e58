package records

import (
	"context"
	"testing"
	"unsafe"

	"fastcms/internal/auth"
	"fastcms/internal/collections"
	"fastcms/internal/events"
	"fastcms/internal/opt"
)

// An event is rendered once per class of subscribers (same selection,
// same view of hidden fields, same states shown), and each class gets its
// own rendering: subscribers of one class share the bytes.
func TestEventRenderedOncePerClass(t *testing.T) {
	ctx := context.Background()
	db, registry, log := testRegistry(t)
	svc := New(db, registry)
	admin := &auth.Principal{UserID: "00000000-0000-4000-8000-000000000001", Role: auth.RoleAdmin}
	users := []*auth.Principal{
		{UserID: "00000000-0000-4000-8000-000000000002", Role: auth.RoleUser},
		{UserID: "00000000-0000-4000-8000-000000000003", Role: auth.RoleUser},
	}
	cols := collections.NewService(db, registry, log, collections.Options{})
	everyone := ""
	if _, err := cols.Create(auth.NewContext(ctx, admin, nil), collections.Input{Name: opt.Some("rc_notes"), ViewRule: opt.Some(&everyone),
		Schema: opt.Some([]*collections.Field{{Name: "title", Type: "text"}, {Name: "secret", Type: "text", Hidden: true}})}); err != nil {
		t.Fatal(err)
	}
	snap := registry.Current()
	c := snap.Get("rc_notes")
	record := func(m []Member) []Member { return []Member{{Key: "data", Kind: Node, Name: "data", Sub: m}} }
	titles := record([]Member{{Key: "title", Kind: Column, Name: "title"}, {Key: "secret", Kind: Column, Name: "secret"}})
	ids := record([]Member{{Key: "id", Kind: Column, Name: "id"}})
	sub := func(p *auth.Principal, sel []Member) *EventSub {
		t.Helper()
		es, err := svc.NewEventSub(snap, "rc_notes", p, nil, nil, sel)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(es.Close)
		return es
	}
	ev := events.Event{Seq: 1 << 40, CollectionID: c.ID, Collection: c.Name, Op: events.Insert, RecordID: "00000000-0000-4000-8000-0000000000aa",
		Data: []byte(`{"id":"00000000-0000-4000-8000-0000000000aa","data":{"title":"Hi","secret":"s"},"created":"2026-12-02T00:00:00.000Z","updated":"2026-12-02T00:00:00.000Z"}`)}
	got := map[string][]byte{}
	for name, es := range map[string]*EventSub{
		"user 1 titles": sub(users[0], titles), "user 2 titles": sub(users[1], titles),
		"admin titles": sub(admin, titles), "user 1 ids": sub(users[0], ids),
	} {
		b, err := es.Match(ctx, ev)
		if err != nil {
			t.Fatal(err)
		}
		got[name] = b
	}
	want := map[string]string{
		"user 1 titles": `{"data":{"title":"Hi","secret":null}}`, "user 2 titles": `{"data":{"title":"Hi","secret":null}}`,
		"admin titles": `{"data":{"title":"Hi","secret":"s"}}`, "user 1 ids": `{"data":{"id":"00000000-0000-4000-8000-0000000000aa"}}`,
	}
	for name, w := range want {
		if string(got[name]) != w {
			t.Errorf("%s got %s, want %s", name, got[name], w)
		}
	}
	same := func(a, b []byte) bool { return unsafe.SliceData(a) == unsafe.SliceData(b) }
	if !same(got["user 1 titles"], got["user 2 titles"]) {
		t.Error("two users with the same subscription got two renderings")
	}
	if same(got["user 1 titles"], got["admin titles"]) || same(got["user 1 titles"], got["user 1 ids"]) {
		t.Error("subscribers of different classes share a rendering")
	}
}
