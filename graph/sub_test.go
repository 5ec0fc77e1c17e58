package graph_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"fastcms/internal/app"
	"fastcms/internal/apptest"
	"fastcms/internal/config"
	"fastcms/internal/events"
)

// Subscriptions to record events, over real websockets with both
// subprotocols. Subscriptions start from the current end of the event log
// (after_seq), so an event committed while the subscribe message is still
// on its way is replayed rather than missed, and the tests need no sleeps.

// logEnd is the seq of the last event logged so far, once every event
// committed so far has its seq.
func logEnd(t *testing.T, s *apptest.Server) string {
	t.Helper()
	seq, err := events.LogEnd(context.Background(), s.DB(t).DB)
	if err != nil {
		t.Fatal(err)
	}
	return strconv.FormatInt(seq, 10)
}

// expectEvent checks that subscription id delivers exactly ev (the value
// of field) next, and returns its seq.
func (c *wsClient) expectEvent(id, field string, ev map[string]any) string {
	c.t.Helper()
	got, err := c.read()
	if err != nil {
		c.t.Fatalf("waiting for %v: %v", ev, err)
	}
	want := map[string]any{"id": id, "type": resultType(c.proto), "payload": map[string]any{"data": map[string]any{field: ev}}}
	if diff := apptest.Diff(got, want, "$"); diff != "" {
		c.t.Fatalf("%s\nmessage: %v", diff, got)
	}
	seq, _ := got["payload"].(map[string]any)["data"].(map[string]any)[field].(map[string]any)["seq"].(string)
	return seq
}

// restRecord is the REST path of a collection's records.
func restRecords(coll string) string { return "/api/v1/collections/" + coll + "/records" }

func restCreate(t *testing.T, s *apptest.Server, token, coll string, body map[string]any) string {
	t.Helper()
	r := s.Do(t, http.MethodPost, restRecords(coll), map[string]any{"data": body}, token)
	if r.Status != http.StatusOK && r.Status != http.StatusCreated {
		t.Fatalf("creating a record of %s: %d %s", coll, r.Status, r.Body)
	}
	return r.JSON(t)["id"].(string)
}

func TestSubscriptionEvents(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t)
	root := adminAccount(t, s)
	for _, proto := range protocols {
		t.Run(proto, func(t *testing.T) {
			t.Parallel()
			alice, bob := register(t, s, newEmail("subalice")), register(t, s, newEmail("subbob"))
			posts := newName("subposts")
			createColl(t, s, root.Access, posts, `[{name: "title", type: "text"}, {name: "views", type: "number"}, {name: "owner", type: "text"},
				{name: "secret", type: "text", hidden: true}]`,
				`, list_rule: "owner = @request.auth.id", view_rule: "owner = @request.auth.id", create_rule: "", update_rule: "owner = @request.auth.id", delete_rule: "owner = @request.auth.id"`)
			field := posts + "_mutated"
			q := fmt.Sprintf(`subscription($after: String) { %s(after_seq: $after) { seq event id data { id title views secret created } old { title views } } }`, field)
			after := logEnd(t, s)
			subs := map[string]*wsClient{}
			for name, token := range map[string]string{"alice": alice.Access, "bob": bob.Access, "admin": root.Access} {
				c := dialWS(t, s, proto, nil)
				c.init(bearer(token))
				c.start("s", q, map[string]any{"after": after})
				subs[name] = c
			}

			// The admin creates alice's record over REST (only admins write
			// hidden fields), bob his over GraphQL: each sees only their
			// own; the admin sees both, hidden field included.
			a1 := restCreate(t, s, root.Access, posts, map[string]any{"title": "a1", "views": 1, "owner": alice.ID, "secret": "sa"})
			b1 := must(t, s, bob.Access, fmt.Sprintf(`mutation { insert_%s_one(object: {title: "b1", views: 2, owner: %q}) { id } }`, posts, bob.ID), nil)["insert_"+posts+"_one"].(map[string]any)["id"].(string)
			ins := func(id, title string, views float64, secret any) map[string]any {
				return map[string]any{"seq": apptest.AnyString, "event": "INSERT", "id": id, "data": map[string]any{"id": id, "title": title, "views": views, "secret": secret, "created": apptest.AnyTime}, "old": nil}
			}
			s1 := subs["alice"].expectEvent("s", field, ins(a1, "a1", 1, nil))
			subs["bob"].expectEvent("s", field, ins(b1, "b1", 2, nil))
			if s0 := subs["admin"].expectEvent("s", field, ins(a1, "a1", 1, "sa")); s0 != s1 {
				t.Fatalf("alice's event is seq %s for alice, %s for the admin", s1, s0)
			}
			subs["admin"].expectEvent("s", field, ins(b1, "b1", 2, nil))

			// An update through GraphQL carries the state before it; a
			// delete over REST has no data.
			must(t, s, alice.Access, fmt.Sprintf(`mutation { update_%s_by_pk(pk_columns: {id: %q}, _set: {title: "a1b"}, _inc: {views: 10}) { id } }`, posts, a1), nil)
			if r := s.Do(t, http.MethodDelete, restRecords(posts)+"/"+a1, nil, alice.Access); r.Status != http.StatusNoContent && r.Status != http.StatusOK {
				t.Fatalf("delete: %d %s", r.Status, r.Body)
			}
			upd := map[string]any{"seq": apptest.AnyString, "event": "UPDATE", "id": a1, "data": map[string]any{"id": a1, "title": "a1b", "views": 11.0, "secret": nil, "created": apptest.AnyTime},
				"old": map[string]any{"title": "a1", "views": 1.0}}
			del := map[string]any{"seq": apptest.AnyString, "event": "DELETE", "id": a1, "data": nil, "old": map[string]any{"title": "a1b", "views": 11.0}}
			s2 := subs["alice"].expectEvent("s", field, upd)
			s3 := subs["alice"].expectEvent("s", field, del)
			if !(seqLess(t, s1, s2) && seqLess(t, s2, s3)) {
				t.Fatalf("seqs out of order: %s %s %s", s1, s2, s3)
			}
			// bob saw none of it: his next event is his own.
			b2 := restCreate(t, s, bob.Access, posts, map[string]any{"title": "b2", "owner": bob.ID})
			subs["bob"].expectEvent("s", field, map[string]any{"seq": apptest.AnyString, "event": "INSERT", "id": b2,
				"data": map[string]any{"id": b2, "title": "b2", "views": nil, "secret": nil, "created": apptest.AnyTime}, "old": nil})
		})
	}
}

func seqLess(t *testing.T, a, b string) bool {
	t.Helper()
	x, err1 := strconv.ParseInt(a, 10, 64)
	y, err2 := strconv.ParseInt(b, 10, 64)
	if err1 != nil || err2 != nil {
		t.Fatalf("seqs %q %q", a, b)
	}
	return x < y
}

func TestSubscriptionWhereAndEvents(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t)
	root := adminAccount(t, s)
	for _, proto := range protocols {
		t.Run(proto, func(t *testing.T) {
			t.Parallel()
			items := newName("subitems")
			createColl(t, s, root.Access, items, `[{name: "name", type: "text"}, {name: "n", type: "number"},
				{name: "tags", type: "select", select: {values: ["a", "b", "c"], max_select: 3}}]`, `, view_rule: ""`)
			field := items + "_mutated"
			after := logEnd(t, s)
			big := dialWS(t, s, proto, nil) // anonymous: the view rule is ""
			big.init(nil)
			big.start("big", fmt.Sprintf(`subscription($a: String) { %s(after_seq: $a, where: {n: {_gt: 10}, name: {_like: "x%%"}}) { event id data { n } old { n } } }`, field), map[string]any{"a": after})
			dels := dialWS(t, s, proto, nil)
			dels.init(bearer(root.Access))
			dels.start("dels", fmt.Sprintf(`subscription($a: String) { %s(after_seq: $a, events: [DELETE], where: {tags: {_contains: ["b"]}}) { event id __typename } }`, field), map[string]any{"a": after})

			i1 := insert(t, s, root.Access, items, map[string]any{"name": "x1", "n": 5, "tags": []string{"a", "b"}})
			i2 := insert(t, s, root.Access, items, map[string]any{"name": "x2", "n": 20, "tags": []string{"c"}})
			insert(t, s, root.Access, items, map[string]any{"name": "y3", "n": 30})
			must(t, s, root.Access, fmt.Sprintf(`mutation { update_%s(where: {id: {_in: [%q, %q]}}, _set: {n: 3}) { affected_rows } }`, items, i1, i2), nil)
			must(t, s, root.Access, fmt.Sprintf(`mutation { delete_%s(where: {name: {_like: "x%%"}}) { affected_rows } }`, items), nil)

			// i2 entered the filter, then left it (old matched), then its
			// deletion no longer matches; y3 never matched x%.
			big.expectEvent("big", field, map[string]any{"event": "INSERT", "id": i2, "data": map[string]any{"n": 20.0}, "old": nil})
			big.expectEvent("big", field, map[string]any{"event": "UPDATE", "id": i2, "data": map[string]any{"n": 3.0}, "old": map[string]any{"n": 20.0}})
			dels.expectEvent("dels", field, map[string]any{"event": "DELETE", "id": i1, "__typename": items + "_event"})
			i4 := insert(t, s, root.Access, items, map[string]any{"name": "x4", "n": 40, "tags": []string{"b"}})
			big.expectEvent("big", field, map[string]any{"event": "INSERT", "id": i4, "data": map[string]any{"n": 40.0}, "old": nil})
			must(t, s, root.Access, fmt.Sprintf(`mutation { delete_%s_by_pk(id: %q) { id } }`, items, i4), nil)
			dels.expectEvent("dels", field, map[string]any{"event": "DELETE", "id": i4, "__typename": items + "_event"})
			big.expectEvent("big", field, map[string]any{"event": "DELETE", "id": i4, "data": nil, "old": map[string]any{"n": 40.0}})
		})
	}
}

func TestSubscriptionResume(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t)
	root := adminAccount(t, s)
	for _, proto := range protocols {
		t.Run(proto, func(t *testing.T) {
			t.Parallel()
			coll := newName("subresume")
			createColl(t, s, root.Access, coll, `[{name: "n", type: "number"}]`, `, view_rule: ""`)
			field := coll + "_mutated"
			q := fmt.Sprintf(`subscription($a: String) { %s(after_seq: $a) { seq event data { n } } }`, field)
			c := dialWS(t, s, proto, nil)
			c.init(nil)
			c.start("1", q, map[string]any{"a": logEnd(t, s)})
			insert(t, s, root.Access, coll, map[string]any{"n": 1})
			insert(t, s, root.Access, coll, map[string]any{"n": 2})
			c.expectEvent("1", field, map[string]any{"seq": apptest.AnyString, "event": "INSERT", "data": map[string]any{"n": 1.0}})
			last := c.expectEvent("1", field, map[string]any{"seq": apptest.AnyString, "event": "INSERT", "data": map[string]any{"n": 2.0}})
			c.conn.Close() // the connection drops
			for n := 3; n <= 6; n++ {
				insert(t, s, root.Access, coll, map[string]any{"n": n})
			}
			c = dialWS(t, s, proto, nil)
			c.init(nil)
			c.start("2", q, map[string]any{"a": last})
			for n := 3; n <= 6; n++ {
				seq := c.expectEvent("2", field, map[string]any{"seq": apptest.AnyString, "event": "INSERT", "data": map[string]any{"n": float64(n)}})
				if !seqLess(t, last, seq) {
					t.Fatalf("seq %s after %s", seq, last)
				}
				last = seq
			}
			insert(t, s, root.Access, coll, map[string]any{"n": 7}) // live after the replay
			c.expectEvent("2", field, map[string]any{"seq": apptest.AnyString, "event": "INSERT", "data": map[string]any{"n": 7.0}})

			// A seq the log no longer holds is refused, on that subscription only.
			if _, err := s.DB(t).Exec("DELETE FROM events WHERE seq = (SELECT min(seq) FROM events)"); err != nil {
				t.Fatal(err)
			}
			c.start("3", q, map[string]any{"a": "0"})
			got, err := c.read()
			if err != nil {
				t.Fatal(err)
			}
			expectJSON(t, got, map[string]any{"id": "3", "type": resultType(proto), "payload": map[string]any{"data": nil, "errors": []any{
				fieldErr(q, field, "after_seq is older than the retained event log: query the current state and subscribe again", "BAD_USER_INPUT", nil)}}})
			c.expect(map[string]any{"id": "3", "type": "complete"})
			insert(t, s, root.Access, coll, map[string]any{"n": 8})
			c.expectEvent("2", field, map[string]any{"seq": apptest.AnyString, "event": "INSERT", "data": map[string]any{"n": 8.0}})
		})
	}
}

func TestSubscriptionRefused(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t)
	root := adminAccount(t, s)
	u := register(t, s, newEmail("subref"))
	locked, authors, books := newName("sublocked"), newName("subauthors"), newName("subbooks")
	createColl(t, s, root.Access, locked, `[{name: "n", type: "number"}]`, ``)
	createColl(t, s, root.Access, authors, `[{name: "name", type: "text"}]`, `, view_rule: ""`)
	createColl(t, s, root.Access, books, fmt.Sprintf(`[{name: "title", type: "text"}, {name: "author", type: "relation", relation: {collection: %q}}]`, authors), `, view_rule: ""`)
	c := dialWS(t, s, transportWS, nil)
	c.init(bearer(u.Access))
	for i, tc := range []struct{ query, msg, code string }{
		{fmt.Sprintf(`subscription { %s_mutated { id } }`, locked), "only admins may view records of " + locked, "FORBIDDEN"},
		{fmt.Sprintf(`subscription { %s_mutated(where: {title: {_regex: "(a)\\1"}}) { id } }`, books), `where: title: invalid pattern: the escape \1 is not supported`, "BAD_USER_INPUT"},
		{fmt.Sprintf(`subscription { %s_mutated { data { author { name } } } }`, books), "author: subscriptions render the changed record only: select just the id of author", "BAD_USER_INPUT"},
		{fmt.Sprintf(`subscription { %s_mutated(after_seq: "x") { id } }`, books), "after_seq must be the seq of an event (a non-negative integer)", "BAD_USER_INPUT"},
	} {
		id := strconv.Itoa(i)
		field := books + "_mutated"
		if i == 0 {
			field = locked + "_mutated"
		}
		c.start(id, tc.query, nil)
		c.expect(map[string]any{"id": id, "type": "next", "payload": map[string]any{"data": nil, "errors": []any{
			fieldErr(tc.query, field, tc.msg, tc.code, nil)}}})
		c.expect(map[string]any{"id": id, "type": "complete"})
	}
	// A relation's id renders from the event.
	c.start("ok", fmt.Sprintf(`subscription($a: String) { %s_mutated(after_seq: $a) { data { title author { id __typename } } } }`, books), map[string]any{"a": logEnd(t, s)})
	a := insert(t, s, root.Access, authors, map[string]any{"name": "ann"})
	insert(t, s, root.Access, books, map[string]any{"title": "t", "author": a})
	c.expectEvent("ok", books+"_mutated", map[string]any{"data": map[string]any{"title": "t", "author": map[string]any{"id": a, "__typename": authors}}})
}

func TestSubscriptionCollectionDeleted(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t)
	root := adminAccount(t, s)
	for _, proto := range protocols {
		t.Run(proto, func(t *testing.T) {
			t.Parallel()
			gone, kept := newName("subgone"), newName("subkept")
			createColl(t, s, root.Access, gone, `[{name: "n", type: "number"}]`, `, view_rule: ""`)
			createColl(t, s, root.Access, kept, `[{name: "n", type: "number"}]`, `, view_rule: ""`)
			c := dialWS(t, s, proto, nil)
			c.init(nil)
			after := logEnd(t, s)
			c.start("gone", fmt.Sprintf(`subscription($a: String) { %s_mutated(after_seq: $a) { event } }`, gone), map[string]any{"a": after})
			c.start("kept", fmt.Sprintf(`subscription($a: String) { %s_mutated(after_seq: $a) { event data { n } } }`, kept), map[string]any{"a": after})
			insert(t, s, root.Access, gone, map[string]any{"n": 1})
			c.expectEvent("gone", gone+"_mutated", map[string]any{"event": "INSERT"})
			must(t, s, root.Access, fmt.Sprintf(`mutation { delete_collection(name: %q) }`, gone), nil)
			c.expect(map[string]any{"id": "gone", "type": "error", "payload": []any{map[string]any{
				"message": fmt.Sprintf("collection %q was deleted", gone), "path": []any{gone + "_mutated"}, "extensions": map[string]any{"code": "NOT_FOUND"}}}})
			// The other subscription carries on.
			insert(t, s, root.Access, kept, map[string]any{"n": 2})
			c.expectEvent("kept", kept+"_mutated", map[string]any{"event": "INSERT", "data": map[string]any{"n": 2.0}})
		})
	}
}

// TestSubscriptionTwoInstances: a subscriber on one instance sees every
// change made through another, once, in order.
func TestSubscriptionTwoInstances(t *testing.T) {
	t.Parallel()
	a, b := apptest.Start(t), apptest.Start(t)
	root := adminAccount(t, b)
	coll := newName("subtwo")
	createColl(t, b, root.Access, coll, `[{name: "n", type: "number"}]`, `, view_rule: "", create_rule: ""`)
	field := coll + "_mutated"
	// A learns of the collection through NOTIFY, a moment later.
	for deadline := time.Now().Add(wsTimeout); ; time.Sleep(20 * time.Millisecond) {
		d := must(t, a, "", fmt.Sprintf(`{ __type(name: %q) { name } }`, coll), nil)
		if d["__type"] != nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("instance A never learnt of %s", coll)
		}
	}
	c := dialWS(t, a, transportWS, nil)
	c.init(nil)
	c.start("1", fmt.Sprintf(`subscription($a: String) { %s_mutated(after_seq: $a) { seq event id data { n } } }`, coll), map[string]any{"a": logEnd(t, a)})
	const n = 60
	ids := make([]string, n)
	for i := range ids {
		if i%2 == 0 {
			ids[i] = restCreate(t, b, "", coll, map[string]any{"n": i})
		} else {
			ids[i] = insert(t, b, "", coll, map[string]any{"n": i})
		}
	}
	last := "0"
	for i, id := range ids {
		seq := c.expectEvent("1", field, map[string]any{"seq": apptest.AnyString, "event": "INSERT", "id": id, "data": map[string]any{"n": float64(i)}})
		if !seqLess(t, last, seq) {
			t.Fatalf("event %d: seq %s after %s", i, seq, last)
		}
		last = seq
	}
	final := restCreate(t, b, "", coll, map[string]any{"n": -1})
	c.expectEvent("1", field, map[string]any{"seq": apptest.AnyString, "event": "INSERT", "id": final, "data": map[string]any{"n": -1.0}})
}

// shortTokens makes access tokens live four seconds.
func shortTokens(c *config.Config, _ *app.Options) { c.AccessTokenTTL = 4 * time.Second }

// TestWebsocketTokenExpiry: the socket closes with 4403 when its token
// expires, unless the client sent a newer one (a ping payload on
// graphql-transport-ws, a repeated connection_init on graphql-ws).
func TestWebsocketTokenExpiry(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t, shortTokens)
	for _, proto := range protocols {
		t.Run(proto, func(t *testing.T) {
			t.Parallel()
			// Token expiries are whole seconds, truncated: a token issued at t
			// expires in (t+3s, t+4s].
			t0 := time.Now()
			acc := register(t, s, newEmail("wsexp"))
			c := dialWS(t, s, proto, nil)
			c.init(bearer(acc.Access))
			time.Sleep(time.Until(t0.Add(2 * time.Second)))
			d := must(t, s, "", `mutation($r: String!) { refresh_token(refresh_token: $r) { access_token } }`, map[string]any{"r": acc.Refresh})
			next := account{Access: d["refresh_token"].(map[string]any)["access_token"].(string)}
			if proto == transportWS {
				c.send(map[string]any{"type": "ping", "payload": bearer(next.Access)})
				c.expect(map[string]any{"type": "pong", "payload": bearer(next.Access)})
			} else {
				c.sendInit(bearer(next.Access))
				c.expect(map[string]any{"type": "connection_ack"})
			}
			time.Sleep(time.Until(t0.Add(4300 * time.Millisecond))) // past the first token's expiry, before the second's
			c.run("1", `{ me { email } }`, map[string]any{"data": map[string]any{"me": map[string]any{"email": acc.Email}}})
			c.expectClosed(4403, msgBadToken) // the second one expires in turn
		})
	}
}

// TestAnonymousWebsocketSignsIn: a socket opened without a token, which
// its watcher does not tick, signs in with a ping payload and is then
// closed with 4403 when that token expires, as a signed-in socket is.
func TestAnonymousWebsocketSignsIn(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t, shortTokens)
	acc := register(t, s, newEmail("wsanon"))
	c := dialWS(t, s, transportWS, nil)
	c.init(nil)
	c.send(map[string]any{"type": "ping", "payload": bearer(acc.Access)})
	c.expect(map[string]any{"type": "pong", "payload": bearer(acc.Access)})
	c.run("1", `{ me { email } }`, map[string]any{"data": map[string]any{"me": map[string]any{"email": acc.Email}}})
	c.expectClosed(4403, msgBadToken)
}

// TestSubscriptionSlowClient: a client that stops reading holds up no one
// else; its subscription ends with SLOW_CONSUMER once its buffer is full,
// and its socket carries on. The write timeout is far longer than the
// test, so the order does not depend on how loaded the machine is (with
// the default 10 s, a pause of the slow client beyond that dropped its
// socket first: see TestSubscriptionStalledClientDropped).
func TestSubscriptionSlowClient(t *testing.T) {
	t.Parallel()
	slow, field := stopReading(t, time.Hour)
	// The slow client gets what was in flight, then the end of its subscription.
	for n := 0; ; n++ {
		got, err := slow.read()
		if err != nil {
			t.Fatalf("slow client after %d events: %v", n, err)
		}
		if got["type"] == "next" {
			continue
		}
		if n >= slowRecords*slowRounds {
			t.Fatalf("the slow client got all %d events", n)
		}
		expectJSON(t, got, map[string]any{"id": "1", "type": "error", "payload": []any{map[string]any{
			"message": "the client fell too far behind its events: subscribe again with after_seq", "path": []any{field},
			"extensions": map[string]any{"code": "SLOW_CONSUMER"}}}})
		break
	}
	slow.run("2", `{ __typename }`, map[string]any{"data": map[string]any{"__typename": "Query"}})
}

// TestSubscriptionStalledClientDropped: a client that reads nothing for
// GRAPHQL_WS_WRITE_TIMEOUT while the server has something to send is
// dropped: it finds what was in flight, then the connection's end without
// a close frame (1006), since no frame can pass a full connection. The
// fast client beside it got every event all along (stopReading).
func TestSubscriptionStalledClientDropped(t *testing.T) {
	t.Parallel()
	// Long enough for the fast client to keep up under load, and waited
	// out (with room) before the slow client reads, so that its pending
	// write has surely timed out.
	const writeTimeout = 2 * time.Second
	slow, _ := stopReading(t, writeTimeout)
	time.Sleep(2 * writeTimeout)
	for n := 0; ; n++ {
		got, err := slow.read()
		if err == nil && got["type"] == "next" {
			continue
		}
		if !websocket.IsCloseError(err, websocket.CloseAbnormalClosure) {
			t.Fatalf("slow client after %d events: want the connection dropped (1006), got %v %v", n, got, err)
		}
		if n == 0 || n >= slowRecords*slowRounds {
			t.Fatalf("the slow client got %d of %d events before the drop", n, slowRecords*slowRounds)
		}
		break
	}
}

// dialSmallBuffer opens a socket whose receive buffer is small (no
// autotuning), so the server's writes to a client that stops reading
// block sooner.
func dialSmallBuffer(t *testing.T, s *apptest.Server) *wsClient {
	t.Helper()
	d := websocket.Dialer{Subprotocols: []string{transportWS}, HandshakeTimeout: wsTimeout,
		NetDial: func(network, addr string) (net.Conn, error) {
			conn, err := net.Dial(network, addr)
			if tc, ok := conn.(*net.TCPConn); ok {
				tc.SetReadBuffer(64 << 10) //nolint:errcheck // a larger buffer only makes the test longer
			}
			return conn, err
		}}
	conn, resp, err := d.Dial(wsURL(s), nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	t.Cleanup(func() { conn.Close() })
	return &wsClient{t: t, conn: conn, proto: transportWS}
}

// The slow-client tests change slowRecords records slowRounds times.
const slowRecords, slowRounds = 100, 8

// stopReading starts a server with writeTimeout, and two clients
// subscribed to the updates of a fresh collection: a fast one, which must
// get every event of every round as it comes, and a slow one, which reads
// nothing until the rounds are done (returned, with the subscription's
// field). Each round changes every record to 8 kB, so the slow client's
// socket fills after a few hundred events.
func stopReading(t *testing.T, writeTimeout time.Duration) (*wsClient, string) {
	t.Helper()
	s := apptest.Start(t, func(c *config.Config, _ *app.Options) { c.GraphQL.WSWriteTimeout = writeTimeout })
	root := adminAccount(t, s)
	coll := newName("subslow")
	createColl(t, s, root.Access, coll, `[{name: "body", type: "text"}]`, `, view_rule: ""`)
	field := coll + "_mutated"
	objs := make([]any, slowRecords)
	for i := range objs {
		objs[i] = map[string]any{"body": "x"}
	}
	must(t, s, root.Access, fmt.Sprintf(`mutation($o: [%s_insert_input!]!) { insert_%s(objects: $o) { affected_rows } }`, coll, coll), map[string]any{"o": objs})
	q := fmt.Sprintf(`subscription($a: String) { %s(after_seq: $a, events: [UPDATE]) { event data { body } old { body } } }`, field)
	after := logEnd(t, s)
	slow, fast := dialSmallBuffer(t, s), dialWS(t, s, transportWS, nil)
	for _, c := range []*wsClient{slow, fast} {
		c.init(nil)
		c.start("1", q, map[string]any{"a": after})
	}
	// The fast client reads as the events come, one round at a time.
	fastDone := make(chan error, 1)
	go func() {
		for i := range slowRecords * slowRounds {
			fast.conn.SetReadDeadline(time.Now().Add(4 * wsTimeout)) //nolint:errcheck // shows up as a failed read
			var msg map[string]any
			if err := fast.conn.ReadJSON(&msg); err != nil || msg["type"] != "next" {
				fastDone <- fmt.Errorf("fast client, event %d: %v %v", i, err, msg)
				return
			}
			if (i+1)%slowRecords == 0 {
				fastDone <- nil
			}
		}
	}()
	// Each round changes every record to 8 kB: 100 events of 16 kB each.
	big := make([]byte, 8000)
	for r := range slowRounds {
		for i := range big {
			big[i] = byte('a' + r)
		}
		must(t, s, root.Access, fmt.Sprintf(`mutation($b: String!) { update_%s(where: {}, _set: {body: $b}) { affected_rows } }`, coll), map[string]any{"b": string(big)})
		if err := <-fastDone; err != nil {
			t.Fatal(err)
		}
	}
	return slow, field
}

// TestSubscriptionRelationRule: a view rule through a relation is checked
// in the database for each insert and update; deletes, which leave nothing
// to check, are not delivered to non-admins.
func TestSubscriptionRelationRule(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t)
	root := adminAccount(t, s)
	lead, other := register(t, s, newEmail("sublead")), register(t, s, newEmail("subother"))
	teams, notes := newName("subteams"), newName("subnotes")
	createColl(t, s, root.Access, teams, `[{name: "lead", type: "text"}]`, `, view_rule: ""`)
	createColl(t, s, root.Access, notes, fmt.Sprintf(`[{name: "body", type: "text"}, {name: "team", type: "relation", relation: {collection: %q}}]`, teams),
		`, view_rule: "team.lead = @request.auth.id"`)
	t1 := insert(t, s, root.Access, teams, map[string]any{"lead": lead.ID})
	t2 := insert(t, s, root.Access, teams, map[string]any{"lead": other.ID})
	field := notes + "_mutated"
	c := dialWS(t, s, legacyWS, nil)
	c.init(bearer(lead.Access))
	c.start("1", fmt.Sprintf(`subscription($a: String) { %s(after_seq: $a) { event data { body } } }`, field), map[string]any{"a": logEnd(t, s)})
	// Each event is read before the next write: an event whose state the
	// record has left is not delivered (TestSecurity12ReplayRelationRule).
	n1 := insert(t, s, root.Access, notes, map[string]any{"body": "mine", "team": t1})
	c.expectEvent("1", field, map[string]any{"event": "INSERT", "data": map[string]any{"body": "mine"}})
	insert(t, s, root.Access, notes, map[string]any{"body": "theirs", "team": t2})
	must(t, s, root.Access, fmt.Sprintf(`mutation { update_%s_by_pk(pk_columns: {id: %q}, _set: {body: "mine2"}) { id } }`, notes, n1), nil)
	c.expectEvent("1", field, map[string]any{"event": "UPDATE", "data": map[string]any{"body": "mine2"}})
	// (The record is checked as it is when the event is fanned out, so the
	// update is read before the record goes.)
	must(t, s, root.Access, fmt.Sprintf(`mutation { delete_%s_by_pk(id: %q) { id } }`, notes, n1), nil)
	insert(t, s, root.Access, notes, map[string]any{"body": "last", "team": t1})
	c.expectEvent("1", field, map[string]any{"event": "INSERT", "data": map[string]any{"body": "last"}})
}
