package graph_test

import (
	"fmt"
	"strconv"
	"testing"
	"time"

	"fastcms/internal/app"
	"fastcms/internal/apptest"
	"fastcms/internal/config"
)

// Finding 13: a websocket holds at most GRAPHQL_WS_MAX_SUBSCRIPTIONS
// subscriptions, and a user (or an anonymous client address) at most
// GRAPHQL_WS_MAX_SOCKETS sockets; a replay further back than
// events.MaxReplay events is refused.
func TestSecurity13WebsocketCaps(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t, func(c *config.Config, _ *app.Options) {
		c.GraphQL.WSMaxSubscriptions = 3
		c.GraphQL.WSMaxSockets = 2
	})
	root := adminAccount(t, s)
	posts := newName("cap_posts")
	createColl(t, s, root.Access, posts, `[{name: "title", type: "text"}]`, `, list_rule: "", view_rule: "", create_rule: ""`)
	field := posts + "_mutated"
	mutated := fmt.Sprintf(`subscription { %s { id } }`, field)

	t.Run("subscriptions per socket", func(t *testing.T) {
		// Live queries answer at once, so each is known to be open
		// before the next starts (operations run concurrently).
		live := fmt.Sprintf(`subscription { %s { id } }`, posts)
		open := map[string]any{"data": map[string]any{posts: []any{}}}
		for _, proto := range protocols {
			c := dialWS(t, s, proto, nil)
			c.init(nil)
			for _, id := range []string{"1", "2"} {
				c.start(id, live, nil)
				c.expect(map[string]any{"id": id, "type": resultType(proto), "payload": open})
			}
			c.start("3", mutated, nil) // X_mutated counts too
			c.run("q", "{ setup_needed }", map[string]any{"data": map[string]any{"setup_needed": false}})
			c.start("4", live, nil)
			c.expect(map[string]any{"id": "4", "type": resultType(proto), "payload": map[string]any{"data": nil, "errors": []any{
				fieldErr(live, posts, "too many subscriptions on this websocket: at most 3 may be open", "TOO_MANY_REQUESTS", nil)}}})
			c.expect(map[string]any{"id": "4", "type": "complete"})
			// Ending a subscription frees its place, as its goroutine ends
			// just after the complete message: try until it is free.
			stop := "complete"
			if proto == legacyWS {
				stop = "stop"
			}
			c.send(map[string]any{"id": "1", "type": stop})
			c.expect(map[string]any{"id": "1", "type": "complete"})
			for i := 0; ; i++ {
				id := "again" + strconv.Itoa(i)
				c.start(id, live, nil)
				got, err := c.read()
				if err != nil {
					t.Fatal(err)
				}
				if got["payload"].(map[string]any)["errors"] == nil {
					expectJSON(t, got, map[string]any{"id": id, "type": resultType(proto), "payload": open})
					break
				}
				c.expect(map[string]any{"id": id, "type": "complete"})
				if i == 50 {
					t.Fatalf("%s: the place of a completed subscription was not freed", proto)
				}
				time.Sleep(20 * time.Millisecond)
			}
			c.conn.Close()
		}
	})

	t.Run("sockets per client", func(t *testing.T) {
		// Anonymous sockets count per address, a user's per user.
		alice := register(t, s, newEmail("capalice"))
		for _, who := range []struct{ name, token string }{{"anonymous", ""}, {"alice", alice.Access}} {
			var payload any
			if who.token != "" {
				payload = bearer(who.token)
			}
			var open []*wsClient
			for range 2 {
				c := dialWS(t, s, transportWS, nil)
				c.init(payload)
				open = append(open, c)
			}
			for _, proto := range protocols {
				c := dialWS(t, s, proto, nil)
				c.sendInit(payload)
				if proto == legacyWS {
					c.expect(map[string]any{"type": "connection_error", "payload": map[string]any{"message": "too many open websockets for this client: at most 2"}})
				}
				c.expectClosed(4429, "too many open websockets for this client: at most 2")
			}
			// Closing one frees its place (once the server has seen it go).
			open[0].conn.Close()
			deadline := time.Now().Add(5 * time.Second)
			for {
				c := dialWS(t, s, transportWS, nil)
				c.sendInit(payload)
				got, err := c.read()
				if err == nil && got["type"] == "connection_ack" {
					c.conn.Close()
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("%s: no place after closing a socket: %v %v", who.name, got, err)
				}
				time.Sleep(50 * time.Millisecond)
			}
			open[1].conn.Close()
		}
	})

	t.Run("replay length", func(t *testing.T) {
		var before int64
		if err := s.DB(t).QueryRow("SELECT COALESCE(max(seq), 0) FROM events").Scan(&before); err != nil {
			t.Fatal(err)
		}
		if _, err := s.DB(t).Exec(`INSERT INTO events (collection_id, collection, op, record_id, data)
			SELECT id, name, 'INSERT', gen_random_uuid(), '{}' FROM collections, generate_series(1, 10001) WHERE name = ?`, posts); err != nil {
			t.Fatal(err)
		}
		c := dialWS(t, s, transportWS, nil)
		c.init(nil)
		q := fmt.Sprintf(`subscription($a: String) { %s(after_seq: $a) { id } }`, field)
		c.start("1", q, map[string]any{"a": strconv.FormatInt(before, 10)})
		c.expect(map[string]any{"id": "1", "type": "next", "payload": map[string]any{"data": nil, "errors": []any{
			fieldErr(q, field, "after_seq is more than 10000 events of "+posts+" back: query the current state and subscribe again", "BAD_USER_INPUT", nil)}}})
		c.expect(map[string]any{"id": "1", "type": "complete"})
	})
}
