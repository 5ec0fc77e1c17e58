package graph_test

import (
	"io"
	"net/http"
	"testing"

	"github.com/gorilla/websocket"

	"fastcms/internal/apptest"
)

var protocols = []string{transportWS, legacyWS}

// TestWebsocketAuth connects with each subprotocol and each form of
// connection_init payload, and runs a query as the user it names.
func TestWebsocketAuth(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t)
	a := register(t, s, newEmail("ws"))
	me := map[string]any{"data": map[string]any{"me": map[string]any{"email": a.Email}}}
	anonymous := map[string]any{"data": map[string]any{"me": nil}}

	payloads := []struct {
		name    string
		payload any
		want    map[string]any
	}{
		{"Authorization", map[string]any{"Authorization": "Bearer " + a.Access}, me},
		{"authorization, scheme in any case", map[string]any{"authorization": "bearer " + a.Access}, me},
		{"headers.Authorization", map[string]any{"headers": map[string]any{"Authorization": "Bearer " + a.Access}}, me},
		{"headers.authorization", map[string]any{"headers": map[string]any{"authorization": "Bearer " + a.Access}}, me},
		{"token", map[string]any{"token": a.Access}, me},
		{"no payload", nil, anonymous},
		{"empty payload", map[string]any{}, anonymous},
	}
	for _, proto := range protocols {
		for _, p := range payloads {
			t.Run(proto+"/"+p.name, func(t *testing.T) {
				t.Parallel()
				c := dialWS(t, s, proto, nil)
				c.init(p.payload)
				c.run("1", `{ me { email } }`, p.want)
				// The socket serves more operations, each under its own id.
				c.run("2", `{ __typename }`, map[string]any{"data": map[string]any{"__typename": "Query"}})
			})
		}
	}
}

// TestWebsocketErrors: errors reach the operation that caused them, and
// the socket carries on.
func TestWebsocketErrors(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t)
	a := register(t, s, newEmail("wserr"))
	for _, proto := range protocols {
		t.Run(proto, func(t *testing.T) {
			t.Parallel()
			c := dialWS(t, s, proto, nil)
			c.init(bearer(a.Access))

			// A resolver's error is part of the result.
			q := `{ users { total } }`
			c.run("1", q, map[string]any{"data": nil, "errors": []any{fieldErr(q, "users", msgAdminOnly, "FORBIDDEN", nil)}})

			// A document that fails validation is an error message.
			c.start("2", `{ nope }`, nil)
			c.expect(map[string]any{"id": "2", "type": "error", "payload": []any{
				docErr(`Cannot query field "nope" on type "Query".`, "GRAPHQL_VALIDATION_FAILED", 1, 3)}})
			c.expect(map[string]any{"id": "2", "type": "complete"})

			c.run("3", `{ me { email } }`, map[string]any{"data": map[string]any{"me": map[string]any{"email": a.Email}}})
		})
	}
}

// TestWebsocketRefusesBadToken: a connection_init with a token that does not
// authenticate closes the socket with 4403 (Forbidden), as graphql-ws
// specifies; the legacy protocol first sends connection_error.
func TestWebsocketRefusesBadToken(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t)
	a := register(t, s, newEmail("wsbad"))
	loggedOut := login(t, s, a.Email, password)
	expectData(t, gql(t, s, `mutation($r: String!) { logout(refresh_token: $r) }`, map[string]any{"r": loggedOut.Refresh}, ""), map[string]any{"logout": true})

	for _, proto := range protocols {
		for name, payload := range map[string]map[string]any{
			"garbage":           bearer("garbage"),
			"logged out":        bearer(loggedOut.Access),
			"garbage in token":  {"token": "garbage"},
			"garbage in header": {"headers": map[string]any{"Authorization": "Bearer garbage"}},
		} {
			t.Run(proto+"/"+name, func(t *testing.T) {
				t.Parallel()
				c := dialWS(t, s, proto, nil)
				c.sendInit(payload)
				if proto == legacyWS {
					c.expect(map[string]any{"type": "connection_error", "payload": map[string]any{"message": msgBadToken}})
				}
				c.expectClosed(4403, msgBadToken)
			})
		}
	}
}

// TestWebsocketFollowsSession: the token is checked again for every
// operation, as over HTTP, so what happens to the session or the account
// after the socket opened applies to it, whether the token came in
// connection_init or with the upgrade request (header or cookie).
func TestWebsocketFollowsSession(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t)
	admin := adminAccount(t, s)
	sources := []struct {
		name    string
		connect func(t *testing.T, proto, token string) *wsClient
	}{
		{"connection_init", func(t *testing.T, proto, token string) *wsClient {
			c := dialWS(t, s, proto, nil)
			c.init(bearer(token))
			return c
		}},
		{"Authorization header", func(t *testing.T, proto, token string) *wsClient {
			c := dialWS(t, s, proto, http.Header{"Authorization": {"Bearer " + token}})
			c.init(nil)
			return c
		}},
		{"cookie", func(t *testing.T, proto, token string) *wsClient {
			c := dialWS(t, s, proto, http.Header{"Cookie": {"access_token=" + token}})
			c.init(nil)
			return c
		}},
	}
	for _, proto := range protocols {
		for _, src := range sources {
			t.Run(proto+"/"+src.name, func(t *testing.T) {
				t.Parallel()
				a := register(t, s, newEmail("wsfollow"))
				c := src.connect(t, proto, a.Access)
				c.run("1", `{ me { email } }`, map[string]any{"data": map[string]any{"me": map[string]any{"email": a.Email}}})
				rq := `{ users(per_page: 1) { per_page } }`
				c.run("2", rq, map[string]any{"data": nil, "errors": []any{fieldErr(rq, "users", msgAdminOnly, "FORBIDDEN", nil)}})

				// A promotion applies at once.
				expectData(t, gql(t, s, updateUserQuery, map[string]any{"id": a.ID, "r": "admin"}, admin.Access),
					map[string]any{"update_user": userJSON(a.ID, a.Email, "admin", false)})
				c.run("3", rq, map[string]any{"data": map[string]any{"users": map[string]any{"per_page": 1}}})

				// After logout_all the socket's token is dead too: the server
				// closes the socket (spec/graphql-api.md, Websocket details).
				expectData(t, gql(t, s, `mutation { logout_all }`, nil, a.Access), map[string]any{"logout_all": true})
				c.expectClosed(4403, msgBadToken)
			})
		}
	}
}

// TestWebsocketClosedOnLogoutAll is what spec/graphql-api.md asks beyond
// refusing operations: the server closes the socket itself.
func TestWebsocketClosedOnLogoutAll(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t)
	a := register(t, s, newEmail("wsclose"))
	c := dialWS(t, s, transportWS, nil)
	c.init(bearer(a.Access))
	expectData(t, gql(t, s, `mutation { logout_all }`, nil, a.Access), map[string]any{"logout_all": true})
	c.expectClosed(4403, msgBadToken)
}

// TestWebsocketOrigin: browsers send Origin; only this host's pages and the
// configured CORS origins may open a socket. Non-browser clients send none.
func TestWebsocketOrigin(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t)

	d := websocket.Dialer{Subprotocols: []string{transportWS}, HandshakeTimeout: wsTimeout}
	conn, resp, err := d.Dial(wsURL(s), http.Header{"Origin": {"https://evil.example"}})
	if err != websocket.ErrBadHandshake {
		if conn != nil {
			conn.Close()
		}
		t.Fatalf("cross-origin dial: %v, want a refused handshake", err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	apptest.ExpectError(t, &apptest.Response{Status: resp.StatusCode, Header: resp.Header, Body: body},
		http.StatusForbidden, "forbidden", "websocket connections from this origin are not allowed", nil)

	for name, header := range map[string]http.Header{
		"same origin": {"Origin": {s.URL}},
		"no origin":   nil,
	} {
		t.Run(name, func(t *testing.T) {
			c := dialWS(t, s, transportWS, header)
			c.init(nil)
			c.run("1", `{ me { id } }`, map[string]any{"data": map[string]any{"me": nil}})
		})
	}
}

// TestWebsocketShutdown: draining the server closes open sockets.
func TestWebsocketShutdown(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t)
	a := register(t, s, newEmail("wsdrain"))
	var clients []*wsClient
	for _, proto := range protocols {
		c := dialWS(t, s, proto, nil)
		c.init(bearer(a.Access))
		c.run("1", `{ me { email } }`, map[string]any{"data": map[string]any{"me": map[string]any{"email": a.Email}}})
		clients = append(clients, c)
	}
	s.App.Drain()
	for _, c := range clients {
		c.expectClosed(websocket.CloseNormalClosure, "terminated")
	}
}
