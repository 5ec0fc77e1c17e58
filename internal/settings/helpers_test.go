package settings_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"fastcms/internal/apptest"
	"fastcms/internal/pgtest"
	"fastcms/internal/settings"
)

// The tests of this package change settings every instance of its
// database obeys (maintenance mode, the rate limit), so they run one at a
// time, each on its own database apart from the other packages' tests.
func TestMain(m *testing.M) { pgtest.Main(m) }

const password = "secret123"

type account struct{ ID, Access string }

func accountFrom(t *testing.T, r *apptest.Response) account {
	t.Helper()
	body := r.JSON(t)
	return account{ID: body["user"].(map[string]any)["id"].(string), Access: body["token"].(map[string]any)["access_token"].(string)}
}

// admin is the first admin, set up once per database.
func admin(t *testing.T, s *apptest.Server) account {
	t.Helper()
	r := s.Do(t, http.MethodPost, "/api/v1/auth/login", map[string]any{"email": "root@example.com", "password": password}, "")
	if r.Status == http.StatusOK {
		return accountFrom(t, r)
	}
	r = s.Do(t, http.MethodPost, "/api/v1/setup", map[string]any{"email": "root@example.com", "password": password, "password_confirm": password}, "")
	if r.Status != http.StatusCreated {
		t.Fatalf("setup: %d %s", r.Status, r.Body)
	}
	return accountFrom(t, r)
}

// user signs in as a plain user, registering it on first use.
func user(t *testing.T, s *apptest.Server, email string) account {
	t.Helper()
	r := s.Do(t, http.MethodPost, "/api/v1/auth/login", map[string]any{"email": email, "password": password}, "")
	if r.Status == http.StatusOK {
		return accountFrom(t, r)
	}
	r = s.Do(t, http.MethodPost, "/api/v1/auth/register", map[string]any{"email": email, "password": password, "password_confirm": password}, "")
	if r.Status != http.StatusCreated {
		t.Fatalf("register: %d %s", r.Status, r.Body)
	}
	return accountFrom(t, r)
}

// set stores a setting through REST and removes it when t ends.
func set(t *testing.T, s *apptest.Server, token, key string, value any) {
	t.Helper()
	r := s.Do(t, http.MethodPost, "/api/v1/settings", map[string]any{"key": key, "value": value}, token)
	if r.Status != http.StatusOK {
		t.Fatalf("set %s: %d %s", key, r.Status, r.Body)
	}
	t.Cleanup(func() { s.Do(t, http.MethodDelete, "/api/v1/settings/"+key, nil, token) })
}

// entry is a setting as a listing shows it.
func entry(value any, description, source string, secret bool) map[string]any {
	return map[string]any{"value": value, "description": description, "source": source, "secret": secret}
}

// known is a known key's entry as a listing shows it: its description and
// whether it is secret come from its definition.
func known(key string, value any, source string) map[string]any {
	d, _ := settings.Lookup(key)
	return entry(value, d.Description, source, d.Secret)
}

// listing is GET /api/v1/settings with every known key at its default but
// those in changed (key → its entry), which may add custom keys.
func listing(changed map[string]map[string]any) map[string]any {
	out := map[string]any{}
	for _, c := range settings.Categories {
		out[c] = map[string]any{}
	}
	for _, d := range settings.Defs {
		var v any
		if !d.Secret {
			raw, _ := json.Marshal(d.Default)
			json.Unmarshal(raw, &v) //nolint:errcheck // a default always reads back
		}
		out[d.Category].(map[string]any)[d.Key] = entry(v, d.Description, "default", d.Secret)
	}
	for key, e := range changed {
		category := settings.Custom
		if d, ok := settings.Lookup(key); ok {
			category = d.Category
		}
		out[category].(map[string]any)[key] = e
	}
	return out
}

// Descriptions of the known keys, as the API shows them.
const (
	descMaintenance = "REST and GraphQL writes of non-admins answer 503 SERVICE_UNAVAILABLE; reads, auth and admins keep working"
	descSMTP        = "SMTP password (write-only)"
	descRate        = "requests per minute per client (per user when signed in, per address otherwise), per instance; 0 is no limit"
	descTrust       = "whether api_rate_limit takes an anonymous client's address from the last X-Forwarded-For entry (only behind a proxy that sets it)"
	descHooks       = "let webhooks call loopback, private, link-local and other internal addresses (development and tests); checked at connect time"
	descFileSize    = "largest file upload in bytes"
	descFileTypes   = `media types an upload may have, as sniffed from its bytes ("image/*" for a whole family); empty allows every type`
)

// wsClient is a graphql-transport-ws connection to /graphql.
type wsClient struct {
	t    *testing.T
	conn *websocket.Conn
}

// dialGraphQL opens a websocket and completes connection_init with token
// (anonymous when empty).
func dialGraphQL(t *testing.T, s *apptest.Server, token string) *wsClient {
	t.Helper()
	conn, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(s.URL, "http")+"/graphql", http.Header{"Sec-WebSocket-Protocol": {"graphql-transport-ws"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	conn.SetReadDeadline(time.Now().Add(5 * time.Second)) //nolint:errcheck // a failed read reports it
	c := &wsClient{t: t, conn: conn}
	payload := map[string]any{}
	if token != "" {
		payload["Authorization"] = "Bearer " + token
	}
	c.send(map[string]any{"type": "connection_init", "payload": payload})
	if msg := c.read(); msg["type"] != "connection_ack" {
		t.Fatalf("got %v, want connection_ack", msg)
	}
	return c
}

func (c *wsClient) send(msg map[string]any) {
	c.t.Helper()
	if err := c.conn.WriteJSON(msg); err != nil {
		c.t.Fatal(err)
	}
}

func (c *wsClient) read() map[string]any {
	c.t.Helper()
	var msg map[string]any
	if err := c.conn.ReadJSON(&msg); err != nil {
		c.t.Fatal(err)
	}
	return msg
}

// expectResult runs a query or mutation as operation id and checks its
// one result exactly, then its completion.
func (c *wsClient) expectResult(id, query string, want any) {
	c.t.Helper()
	c.send(map[string]any{"id": id, "type": "subscribe", "payload": map[string]any{"query": query}})
	if d := apptest.Diff(c.read(), map[string]any{"id": id, "type": "next", "payload": want}, "$"); d != "" {
		c.t.Fatalf("operation %s: %s", id, d)
	}
	if msg := c.read(); msg["type"] != "complete" {
		c.t.Fatalf("operation %s: got %v, want complete", id, msg)
	}
}
