package graph_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"fastcms/internal/apptest"
)

// The two websocket subprotocols and their message names.
const (
	transportWS = "graphql-transport-ws" // graphql-ws, the current library
	legacyWS    = "graphql-ws"           // subscriptions-transport-ws
)

// startType and resultType name a protocol's operation and result messages.
func startType(proto string) string {
	if proto == legacyWS {
		return "start"
	}
	return "subscribe"
}

func resultType(proto string) string {
	if proto == legacyWS {
		return "data"
	}
	return "next"
}

// wsTimeout bounds every wait for a message.
const wsTimeout = 5 * time.Second

// wsClient is a real websocket client speaking one subprotocol.
type wsClient struct {
	t     *testing.T
	conn  *websocket.Conn
	proto string
}

func wsURL(s *apptest.Server) string { return "ws" + strings.TrimPrefix(s.URL, "http") + "/graphql" }

// dialWS opens a websocket with subprotocol proto and checks the server chose it.
func dialWS(t *testing.T, s *apptest.Server, proto string, header http.Header) *wsClient {
	t.Helper()
	d := websocket.Dialer{Subprotocols: []string{proto}, HandshakeTimeout: wsTimeout}
	conn, resp, err := d.Dial(wsURL(s), header)
	if err != nil {
		t.Fatalf("dialing %s: %v", proto, err)
	}
	resp.Body.Close()
	t.Cleanup(func() { conn.Close() })
	if got := conn.Subprotocol(); got != proto {
		t.Fatalf("negotiated subprotocol %q, want %q", got, proto)
	}
	return &wsClient{t: t, conn: conn, proto: proto}
}

func (c *wsClient) send(msg map[string]any) {
	c.t.Helper()
	c.conn.SetWriteDeadline(time.Now().Add(wsTimeout)) //nolint:errcheck // shows up as a failed write
	if err := c.conn.WriteJSON(msg); err != nil {
		c.t.Fatalf("writing %v: %v", msg, err)
	}
}

// read returns the next message, or the error that ended the connection.
// The legacy protocol's periodic keep-alives ("ka") are skipped.
func (c *wsClient) read() (map[string]any, error) {
	c.t.Helper()
	for {
		c.conn.SetReadDeadline(time.Now().Add(wsTimeout)) //nolint:errcheck // shows up as a failed read
		_, b, err := c.conn.ReadMessage()
		if err != nil {
			return nil, err
		}
		var msg map[string]any
		if err := json.Unmarshal(b, &msg); err != nil {
			c.t.Fatalf("message is not a JSON object: %v: %s", err, b)
		}
		if msg["type"] != "ka" {
			return msg, nil
		}
	}
}

// expect checks that the next message is exactly want.
func (c *wsClient) expect(want map[string]any) {
	c.t.Helper()
	got, err := c.read()
	if err != nil {
		c.t.Fatalf("waiting for %v: %v", want, err)
	}
	if diff := apptest.Diff(got, want, "$"); diff != "" {
		c.t.Fatalf("%s\nmessage: %v", diff, got)
	}
}

// expectClosed checks that the server closes the socket with code and
// reason, after no further message.
func (c *wsClient) expectClosed(code int, reason string) {
	c.t.Helper()
	msg, err := c.read()
	if err == nil {
		c.t.Fatalf("got %v, want close %d %q", msg, code, reason)
	}
	var ce *websocket.CloseError
	if !errors.As(err, &ce) || ce.Code != code || ce.Text != reason {
		c.t.Fatalf("connection ended with %v, want close %d %q", err, code, reason)
	}
}

// init sends connection_init with payload (nil for none) and expects the
// acknowledgement (and, on the legacy protocol, the first keep-alive).
func (c *wsClient) init(payload any) {
	c.t.Helper()
	c.sendInit(payload)
	c.expect(map[string]any{"type": "connection_ack"})
	if c.proto == legacyWS {
		// Read the first keep-alive exactly; read skips later ones.
		c.conn.SetReadDeadline(time.Now().Add(wsTimeout)) //nolint:errcheck // shows up as a failed read
		_, b, err := c.conn.ReadMessage()
		if err != nil || string(b) != `{"type":"ka"}`+"\n" {
			c.t.Fatalf("after connection_ack: %q, %v; want a keep-alive", b, err)
		}
	}
}

func (c *wsClient) sendInit(payload any) {
	c.t.Helper()
	msg := map[string]any{"type": "connection_init"}
	if payload != nil {
		msg["payload"] = payload
	}
	c.send(msg)
}

// start sends operation query (with vars) as id.
func (c *wsClient) start(id, query string, vars map[string]any) {
	c.t.Helper()
	payload := map[string]any{"query": query}
	if vars != nil {
		payload["variables"] = vars
	}
	c.send(map[string]any{"id": id, "type": startType(c.proto), "payload": payload})
}

// expectResult checks that operation id answers exactly result (the
// payload of a next/data message) and then completes.
func (c *wsClient) expectResult(id string, result map[string]any) {
	c.t.Helper()
	c.expect(map[string]any{"id": id, "type": resultType(c.proto), "payload": result})
	c.expect(map[string]any{"id": id, "type": "complete"})
}

// run runs query as id and expects result.
func (c *wsClient) run(id, query string, result map[string]any) {
	c.t.Helper()
	c.start(id, query, nil)
	c.expectResult(id, result)
}

func bearer(token string) map[string]any { return map[string]any{"Authorization": "Bearer " + token} }
