package oauthtest

import (
	"io"
	"net/http"
	"net/url"
	"testing"

	"fastcms/internal/apptest"
)

// NoRedirect is a client that shows redirects instead of following them.
var NoRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// get GETs u as a browser that holds the login cookie ("" for none),
// without following a redirect.
func get(t testing.TB, u, cookie string) *apptest.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	if cookie != "" {
		req.Header.Set("Cookie", "fastcms_oauth="+cookie)
	}
	resp, err := NoRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return &apptest.Response{Status: resp.StatusCode, Header: resp.Header, Body: body}
}

// Login starts a login with provider on s (query: the login's query
// string, or ""), without following the redirect.
func Login(t testing.TB, s *apptest.Server, provider, query string) *apptest.Response {
	t.Helper()
	u := s.URL + "/api/v1/oauth/" + provider + "/login"
	if query != "" {
		u += "?" + query
	}
	return get(t, u, "")
}

// Start runs the browser's half of a login up to the callback: it logs
// in (Login), lets the fake provider authorize, and returns the
// callback's query and the login cookie.
func Start(t testing.TB, s *apptest.Server, provider, query string) (code, state, cookie string) {
	t.Helper()
	resp := Login(t, s, provider, query)
	if resp.Status != http.StatusFound {
		t.Fatalf("login: %d %s", resp.Status, resp.Body)
	}
	for _, c := range (&http.Response{Header: resp.Header}).Cookies() {
		if c.Name == "fastcms_oauth" {
			cookie = c.Value
		}
	}
	back := get(t, resp.Header.Get("Location"), "")
	if back.Status != http.StatusFound {
		t.Fatalf("authorize: %d %s", back.Status, back.Body)
	}
	u, err := url.Parse(back.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	return u.Query().Get("code"), u.Query().Get("state"), cookie
}

// Callback is the browser's return to the server. A redirect in the
// answer (to a front-end) is not followed.
func Callback(t testing.TB, s *apptest.Server, provider, code, state, cookie string) *apptest.Response {
	t.Helper()
	return CallbackQuery(t, s, provider, url.Values{"code": {code}, "state": {state}}, cookie)
}

// CallbackQuery is Callback with any query, as a provider that refused
// sends (error=access_denied).
func CallbackQuery(t testing.TB, s *apptest.Server, provider string, q url.Values, cookie string) *apptest.Response {
	t.Helper()
	return get(t, s.URL+"/api/v1/oauth/"+provider+"/callback?"+q.Encode(), cookie)
}

// SignIn is a whole login as who; it fails the test unless it is a 200.
func SignIn(t testing.TB, s *apptest.Server, f *Provider, provider string, who Identity) map[string]any {
	t.Helper()
	f.SignInAs(who)
	code, state, cookie := Start(t, s, provider, "")
	r := Callback(t, s, provider, code, state, cookie)
	if r.Status != http.StatusOK {
		t.Fatalf("callback: %d %s", r.Status, r.Body)
	}
	return r.JSON(t)
}

// Answer is the callback's JSON for a user.
func Answer(id any, email, name string, verified bool, provider string) map[string]any {
	return map[string]any{"access_token": apptest.AnyString, "refresh_token": apptest.AnyString, "token_type": "bearer", "expires_in": 900,
		"user": map[string]any{"id": id, "email": email, "name": name, "verified": verified, "oauth_provider": provider}}
}
