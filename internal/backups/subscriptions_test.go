package backups_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// A restore closes every open websocket with 4410 and a reason: what its
// subscriptions watched was replaced. A real client on each subprotocol,
// one signed in and one anonymous, sees the close frame.
func TestRestoreClosesSubscriptions(t *testing.T) {
	s := start(t)
	tok, _ := setup(t, s)
	id := createBackup(t, s, tok)["id"].(string)
	type sub struct {
		conn  *websocket.Conn
		proto string
	}
	var subs []sub
	for _, c := range []struct{ proto, token string }{{"graphql-transport-ws", tok}, {"graphql-ws", ""}} {
		d := websocket.Dialer{Subprotocols: []string{c.proto}, HandshakeTimeout: 5 * time.Second}
		conn, resp, err := d.Dial("ws"+strings.TrimPrefix(s.URL, "http")+"/graphql", nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		defer conn.Close()
		payload := map[string]any{}
		if c.token != "" {
			payload["Authorization"] = "Bearer " + c.token
		}
		start, query := "subscribe", map[string]any{"query": `subscription { posts_mutated(after_seq: "0") { id } }`}
		if c.proto == "graphql-ws" {
			start = "start"
		}
		for _, msg := range []map[string]any{{"type": "connection_init", "payload": payload}, {"type": start, "id": "1", "payload": query}} {
			if err := conn.WriteJSON(msg); err != nil {
				t.Fatal(err)
			}
		}
		var ack map[string]any
		conn.SetReadDeadline(time.Now().Add(5 * time.Second)) //nolint:errcheck // a failed read shows it
		if err := conn.ReadJSON(&ack); err != nil || ack["type"] != "connection_ack" {
			t.Fatalf("%s: %v %v", c.proto, ack, err)
		}
		subs = append(subs, sub{conn, c.proto})
	}
	// The subscriptions are open: they replay the setup's records.
	for _, c := range subs {
		if msg := readWS(t, c.conn); msg["id"] != "1" {
			t.Fatalf("%s: %v", c.proto, msg)
		}
	}
	if r := s.Do(t, http.MethodPost, "/api/v1/backups/"+id+"/restore", nil, tok); r.Status != http.StatusOK {
		t.Fatalf("restore: %d %s", r.Status, r.Body)
	}
	for _, c := range subs {
		var err error
		for err == nil { // the rest of the replay, then the close
			_, err = readWSErr(c.conn)
		}
		var ce *websocket.CloseError
		if !errors.As(err, &ce) || ce.Code != 4410 || ce.Text != "the data was restored from a backup: connect and subscribe again" {
			t.Fatalf("%s: ended with %v, want close 4410", c.proto, err)
		}
	}
}

// readWS reads the next message but keep-alives.
func readWS(t *testing.T, conn *websocket.Conn) map[string]any {
	t.Helper()
	msg, err := readWSErr(conn)
	if err != nil {
		t.Fatal(err)
	}
	return msg
}

func readWSErr(conn *websocket.Conn) (map[string]any, error) {
	for {
		conn.SetReadDeadline(time.Now().Add(5 * time.Second)) //nolint:errcheck // a failed read shows it
		var msg map[string]any
		if err := conn.ReadJSON(&msg); err != nil {
			return nil, err
		}
		if msg["type"] != "ka" && msg["type"] != "ping" && msg["type"] != "pong" {
			return msg, nil
		}
	}
}
