package graph_test

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"fastcms/internal/apptest"
	"fastcms/internal/timefmt"
)

// password satisfies the password rules (8–100 characters, a letter and a digit).
const password = "secret123"

// rootEmail is the package's shared first admin (see adminAccount).
const rootEmail = "root@example.com"

// The selections every test asks for, so expected objects list every field.
const (
	userFields  = `id email name avatar role verified oauth_provider created updated`
	tokenFields = `access_token refresh_token token_type expires_in`
	authFields  = `user { ` + userFields + ` } token { ` + tokenFields + ` }`
)

var emailSeq atomic.Int64

// newEmail is unique within the package's database, also across -count runs.
func newEmail(prefix string) string {
	return fmt.Sprintf("%s-%d@example.com", prefix, emailSeq.Add(1))
}

// gql posts one GraphQL operation; headers are extra name, value pairs.
func gql(t *testing.T, s *apptest.Server, query string, vars map[string]any, token string, headers ...string) *apptest.Response {
	t.Helper()
	body := map[string]any{"query": query}
	if vars != nil {
		body["variables"] = vars
	}
	return s.Do(t, http.MethodPost, "/graphql", body, token, headers...)
}

// expectData checks a 200 response whose body is exactly {"data": data}.
func expectData(t *testing.T, r *apptest.Response, data map[string]any) {
	t.Helper()
	apptest.ExpectJSON(t, r, http.StatusOK, map[string]any{"data": data})
}

// expectErrors checks a 200 response with exactly data (nil for null) and errs.
func expectErrors(t *testing.T, r *apptest.Response, data any, errs ...map[string]any) {
	t.Helper()
	expectStatusErrors(t, r, http.StatusOK, data, errs...)
}

func expectStatusErrors(t *testing.T, r *apptest.Response, status int, data any, errs ...map[string]any) {
	t.Helper()
	list := make([]any, len(errs))
	for i, e := range errs {
		list[i] = e
	}
	apptest.ExpectJSON(t, r, status, map[string]any{"data": data, "errors": list})
}

// fieldErr is the exact error a resolver of the top-level field reports,
// located where field appears in query.
func fieldErr(query, field, message, code string, fields map[string]string) map[string]any {
	ext := map[string]any{"code": code}
	if fields != nil {
		f := map[string]any{}
		for k, v := range fields {
			f[k] = v
		}
		ext["fields"] = f
	}
	return map[string]any{"message": message, "path": []any{field}, "locations": locate(query, field), "extensions": ext}
}

// docErr is an error about the document itself (parse, validation), which
// has no path.
func docErr(message, code string, line, column int) map[string]any {
	return map[string]any{"message": message, "locations": []any{loc(line, column)}, "extensions": map[string]any{"code": code}}
}

func loc(line, column int) map[string]any { return map[string]any{"line": line, "column": column} }

// locate is the 1-based line and column where the field named field first
// appears in query, as GraphQL reports error locations.
func locate(query, field string) []any {
	re := regexp.MustCompile(`(^|[\s{(])` + regexp.QuoteMeta(field) + `($|[\s{(])`)
	m := re.FindStringSubmatchIndex(query)
	if m == nil {
		panic("field " + field + " not in query " + query)
	}
	at := m[3] // end of the leading delimiter group: where the name starts
	line := 1 + strings.Count(query[:at], "\n")
	column := at - strings.LastIndex(query[:at], "\n")
	return []any{loc(line, column)}
}

// Expected error messages, in one place.
const (
	msgAuthRequired = "authentication required"
	msgBadToken     = "invalid or expired access token"
	msgAdminOnly    = "admin access required"
	msgBadLogin     = "Invalid email or password"
)

// account is a user with one session's tokens.
type account struct {
	ID, Email, Access, Refresh string
}

// register makes a user through the register mutation.
func register(t *testing.T, s *apptest.Server, email string) account {
	t.Helper()
	r := gql(t, s, `mutation($e: String!, $p: String!) { register(email: $e, password: $p, password_confirm: $p) { `+authFields+` } }`,
		map[string]any{"e": email, "p": password}, "")
	return accountFrom(t, r, "register")
}

// login opens a new session; headers are extra name, value pairs (User-Agent).
func login(t *testing.T, s *apptest.Server, email, pw string, headers ...string) account {
	t.Helper()
	r := gql(t, s, `mutation($e: String!, $p: String!) { login(email: $e, password: $p) { `+authFields+` } }`,
		map[string]any{"e": email, "p": pw}, "", headers...)
	return accountFrom(t, r, "login")
}

func accountFrom(t *testing.T, r *apptest.Response, field string) account {
	t.Helper()
	body := r.JSON(t)
	if r.Status != http.StatusOK || body["errors"] != nil {
		t.Fatalf("%s: %d %s", field, r.Status, r.Body)
	}
	res := body["data"].(map[string]any)[field].(map[string]any)
	user := res["user"].(map[string]any)
	tok := res["token"].(map[string]any)
	return account{ID: user["id"].(string), Email: user["email"].(string), Access: tok["access_token"].(string), Refresh: tok["refresh_token"].(string)}
}

// adminMu serialises getting the shared admin, so parallel tests neither
// race to set it up nor see setup half done.
var adminMu sync.Mutex

// adminAccount logs in as the package's first admin, setting it up when this
// database has none yet (TestSetup, serial and so first, normally has).
func adminAccount(t *testing.T, s *apptest.Server) account {
	t.Helper()
	adminMu.Lock()
	defer adminMu.Unlock()
	r := gql(t, s, `mutation($e: String!, $p: String!) { login(email: $e, password: $p) { `+authFields+` } }`,
		map[string]any{"e": rootEmail, "p": password}, "")
	if r.JSON(t)["errors"] == nil {
		return accountFrom(t, r, "login")
	}
	r = gql(t, s, `mutation($e: String!, $p: String!) { setup(email: $e, password: $p, password_confirm: $p) { `+authFields+` } }`,
		map[string]any{"e": rootEmail, "p": password}, "")
	return accountFrom(t, r, "setup")
}

// userJSON is the exact user object expected for an account made with no
// name or avatar.
func userJSON(id any, email, role string, verified bool) map[string]any {
	return map[string]any{"id": id, "email": email, "name": "", "avatar": "", "role": role, "verified": verified,
		"oauth_provider": nil, "created": apptest.AnyTime, "updated": apptest.AnyTime}
}

// tokenJSON is the exact token object expected from a login or refresh.
func tokenJSON() map[string]any {
	return map[string]any{"access_token": apptest.AnyString, "refresh_token": apptest.AnyString, "token_type": "bearer", "expires_in": 900}
}

// expectSignedOut checks that access no longer authenticates: me is null
// (the caller counts as anonymous) and sessions, which needs a user, says why.
func expectSignedOut(t *testing.T, s *apptest.Server, access string) {
	t.Helper()
	expectData(t, gql(t, s, `{ me { id } }`, nil, access), map[string]any{"me": nil})
	q := `{ sessions { id } }`
	expectErrors(t, gql(t, s, q, nil, access), nil, fieldErr(q, "sessions", msgBadToken, "UNAUTHENTICATED", nil))
}

// expectSignedIn checks that access authenticates as a.
func expectSignedIn(t *testing.T, s *apptest.Server, access string, a account) {
	t.Helper()
	expectData(t, gql(t, s, `{ me { id email } }`, nil, access), map[string]any{"me": map[string]any{"id": a.ID, "email": a.Email}})
}

// expectRefreshFails checks that refresh is refused with message.
func expectRefreshFails(t *testing.T, s *apptest.Server, refresh, message string) {
	t.Helper()
	q := `mutation($r: String!) { refresh_token(refresh_token: $r) { access_token } }`
	expectErrors(t, gql(t, s, q, map[string]any{"r": refresh}, ""), nil, fieldErr(q, "refresh_token", message, "UNAUTHENTICATED", nil))
}

// refresh rotates a refresh token and returns the new pair.
func refresh(t *testing.T, s *apptest.Server, a account) account {
	t.Helper()
	r := gql(t, s, `mutation($r: String!) { refresh_token(refresh_token: $r) { `+tokenFields+` } }`, map[string]any{"r": a.Refresh}, "")
	expectData(t, r, map[string]any{"refresh_token": tokenJSON()})
	tok := r.JSON(t)["data"].(map[string]any)["refresh_token"].(map[string]any)
	a.Access, a.Refresh = tok["access_token"].(string), tok["refresh_token"].(string)
	return a
}

// sameInstantPlus30Days reports whether the timestamp later is exactly 30
// days (the default refresh-token lifetime) after earlier.
func sameInstantPlus30Days(t *testing.T, earlier, later string) bool {
	t.Helper()
	a, err := time.Parse(timefmt.Layout, earlier)
	if err != nil {
		t.Fatal(err)
	}
	b, err := time.Parse(timefmt.Layout, later)
	if err != nil {
		t.Fatal(err)
	}
	return b.Sub(a) == 30*24*time.Hour
}
