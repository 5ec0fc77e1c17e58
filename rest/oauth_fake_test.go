package rest_test

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"

	"fastcms/internal/app"
	"fastcms/internal/apptest"
	"fastcms/internal/config"
)

// newSub is a provider account id unique within the package's database
// (numeric, as GitHub's are).
func newSub() string { return strconv.FormatInt(1000+emailSeq.Add(1), 10) }

// fakeIdentity is a person at the fake provider.
type fakeIdentity struct {
	Sub      string
	Email    string
	Verified bool
	Name     string
}

// fakeProvider is an OAuth2/OIDC provider over HTTP that speaks the three
// providers' profile APIs. It holds the flow to the rules: the authorize
// endpoint requires an S256 code_challenge, the token endpoint the client
// secret, the redirect URI and the code_verifier that matches, once per code.
type fakeProvider struct {
	*httptest.Server
	t *testing.T

	mu          sync.Mutex
	next        fakeIdentity
	codes       map[string]fakeGrant
	tokens      map[string]fakeIdentity
	pkceChecked int
	emailCalls  int
}

type fakeGrant struct {
	challenge, redirect string
	who                 fakeIdentity
}

const fakeClientID, fakeSecret = "client-id", "client-secret"

func newFakeProvider(t *testing.T) *fakeProvider {
	f := &fakeProvider{t: t, codes: map[string]fakeGrant{}, tokens: map[string]fakeIdentity{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /authorize", f.authorize)
	mux.HandleFunc("POST /token", f.token)
	mux.HandleFunc("GET /v1/userinfo", f.api(func(w http.ResponseWriter, who fakeIdentity) {
		writeFakeJSON(w, map[string]any{"sub": who.Sub, "email": who.Email, "email_verified": who.Verified, "name": who.Name})
	}))
	mux.HandleFunc("GET /user", f.api(func(w http.ResponseWriter, who fakeIdentity) {
		id, _ := strconv.Atoi(who.Sub)
		// The public email is not the primary one: the server must not trust it.
		writeFakeJSON(w, map[string]any{"id": id, "login": "octo" + who.Sub, "name": who.Name, "email": "public-" + who.Email})
	}))
	mux.HandleFunc("GET /user/emails", f.api(func(w http.ResponseWriter, who fakeIdentity) {
		f.mu.Lock()
		f.emailCalls++
		f.mu.Unlock()
		writeFakeJSON(w, []map[string]any{
			{"email": "other-" + who.Email, "primary": false, "verified": true},
			{"email": who.Email, "primary": true, "verified": who.Verified},
		})
	}))
	mux.HandleFunc("GET /v1.0/me", f.api(func(w http.ResponseWriter, who fakeIdentity) {
		writeFakeJSON(w, map[string]any{"id": who.Sub, "displayName": who.Name, "mail": who.Email, "userPrincipalName": "upn@example.com"})
	}))
	f.Server = httptest.NewServer(mux)
	t.Cleanup(f.Close)
	return f
}

func writeFakeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// counts are how many verifiers the token endpoint accepted and how many
// times /user/emails was read.
func (f *fakeProvider) counts() (pkce, emails int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.pkceChecked, f.emailCalls
}

// signInAs sets who the next authorization signs in.
func (f *fakeProvider) signInAs(who fakeIdentity) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.next = who
}

func (f *fakeProvider) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("response_type") != "code" || q.Get("client_id") != fakeClientID || q.Get("state") == "" ||
		q.Get("code_challenge_method") != "S256" || len(q.Get("code_challenge")) != 43 {
		http.Error(w, "bad authorization request: "+r.URL.RawQuery, http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	code := fmt.Sprintf("code-%d", len(f.codes)+1)
	f.codes[code] = fakeGrant{challenge: q.Get("code_challenge"), redirect: q.Get("redirect_uri"), who: f.next}
	f.mu.Unlock()
	back := url.Values{"code": {code}, "state": {q.Get("state")}}
	http.Redirect(w, r, q.Get("redirect_uri")+"?"+back.Encode(), http.StatusFound)
}

func (f *fakeProvider) token(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	g, ok := f.codes[r.PostFormValue("code")]
	delete(f.codes, r.PostFormValue("code"))
	sum := sha256.Sum256([]byte(r.PostFormValue("code_verifier")))
	switch {
	case !ok, r.PostFormValue("grant_type") != "authorization_code", r.PostFormValue("redirect_uri") != g.redirect,
		r.PostFormValue("client_id") != fakeClientID, r.PostFormValue("client_secret") != fakeSecret,
		base64.RawURLEncoding.EncodeToString(sum[:]) != g.challenge:
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(`{"error":"invalid_grant"}`))
		return
	}
	f.pkceChecked++
	access := fmt.Sprintf("at-%d-%s", f.pkceChecked, g.who.Sub)
	f.tokens[access] = g.who
	writeFakeJSON(w, map[string]any{"access_token": access, "token_type": "Bearer", "expires_in": 3600})
}

// api serves a profile endpoint to the holder of an access token.
func (f *fakeProvider) api(fn func(http.ResponseWriter, fakeIdentity)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		who, ok := f.tokens[strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")]
		f.mu.Unlock()
		if !ok {
			http.Error(w, "no token", http.StatusUnauthorized)
			return
		}
		fn(w, who)
	}
}

// withProviders configures names against f.
func withProviders(f *fakeProvider, names ...string) apptest.Option {
	return func(c *config.Config, _ *app.Options) {
		for _, n := range names {
			c.OAuth[n] = config.OAuthProvider{ClientID: fakeClientID, ClientSecret: fakeSecret,
				RedirectURI: "http://app.example/api/v1/oauth/" + n + "/callback",
				AuthURL:     f.URL + "/authorize", TokenURL: f.URL + "/token", APIURL: f.URL}
		}
	}
}

// noRedirect is a client that shows redirects instead of following them.
var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// oauthStart runs the browser's half of a login up to the callback: it
// asks the server to log in with provider, lets the fake provider
// authorize, and returns the callback's query and the login cookie.
func oauthStart(t *testing.T, s *apptest.Server, provider string) (code, state, cookie string) {
	t.Helper()
	resp, err := noRedirect.Get(s.URL + "/api/v1/oauth/" + provider + "/login")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("login: status %d", resp.StatusCode)
	}
	for _, c := range resp.Cookies() {
		if c.Name == "fastcms_oauth" {
			cookie = c.Value
		}
	}
	back, err := noRedirect.Get(resp.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	back.Body.Close()
	if back.StatusCode != http.StatusFound {
		t.Fatalf("authorize: status %d", back.StatusCode)
	}
	u, err := url.Parse(back.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	return u.Query().Get("code"), u.Query().Get("state"), cookie
}

// oauthCallback is the browser's return to the server.
func oauthCallback(t *testing.T, s *apptest.Server, provider, code, state, cookie string) *apptest.Response {
	t.Helper()
	q := url.Values{"code": {code}, "state": {state}}
	return s.Do(t, http.MethodGet, "/api/v1/oauth/"+provider+"/callback?"+q.Encode(), nil, "", "Cookie", "fastcms_oauth="+cookie)
}

// oauthSignIn is a whole login as who; it fails the test unless it is a 200.
func oauthSignIn(t *testing.T, s *apptest.Server, f *fakeProvider, provider string, who fakeIdentity) map[string]any {
	t.Helper()
	f.signInAs(who)
	code, state, cookie := oauthStart(t, s, provider)
	r := oauthCallback(t, s, provider, code, state, cookie)
	if r.Status != http.StatusOK {
		t.Fatalf("callback: %d %s", r.Status, r.Body)
	}
	return r.JSON(t)
}

func oauthJSON(id any, email, name string, verified bool, provider string) map[string]any {
	return map[string]any{"access_token": apptest.AnyString, "refresh_token": apptest.AnyString, "token_type": "bearer", "expires_in": 900,
		"user": map[string]any{"id": id, "email": email, "name": name, "verified": verified, "oauth_provider": provider}}
}
