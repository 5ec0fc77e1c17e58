// Package oauthtest is a fake OAuth2/OIDC provider over HTTP for the tests
// of social login, and the browser's side of a login against it. The
// provider holds the flow to the rules: the authorize endpoint requires
// an S256 code_challenge, the token endpoint the client secret, the
// redirect URI and the code_verifier that matches, once per code; it
// serves Google's userinfo, GitHub's /user and /user/emails and
// Microsoft Graph's /me.
package oauthtest

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
	"sync/atomic"
	"testing"

	"fastcms/internal/app"
	"fastcms/internal/apptest"
	"fastcms/internal/config"
)

// The client the fake provider knows.
const ClientID, ClientSecret = "client-id", "client-secret"

var subSeq atomic.Int64

// NewSub is a provider account id unique within the test binary
// (numeric, as GitHub's are).
func NewSub() string { return strconv.FormatInt(1000+subSeq.Add(1), 10) }

// Identity is a person at the fake provider.
type Identity struct {
	Sub      string
	Email    string
	Verified bool
	Name     string
}

// Provider is the fake provider.
type Provider struct {
	*httptest.Server

	mu          sync.Mutex
	next        Identity
	codes       map[string]grant
	tokens      map[string]Identity
	pkceChecked int
	emailCalls  int
}

type grant struct {
	challenge, redirect string
	who                 Identity
}

// New starts a provider that stops when t ends.
func New(t testing.TB) *Provider {
	f := &Provider{codes: map[string]grant{}, tokens: map[string]Identity{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /authorize", f.authorize)
	mux.HandleFunc("POST /token", f.token)
	mux.HandleFunc("GET /v1/userinfo", f.api(func(w http.ResponseWriter, who Identity) {
		writeJSON(w, map[string]any{"sub": who.Sub, "email": who.Email, "email_verified": who.Verified, "name": who.Name})
	}))
	mux.HandleFunc("GET /user", f.api(func(w http.ResponseWriter, who Identity) {
		id, _ := strconv.Atoi(who.Sub)
		// The public email is not the primary one: the server must not trust it.
		writeJSON(w, map[string]any{"id": id, "login": "octo" + who.Sub, "name": who.Name, "email": "public-" + who.Email})
	}))
	mux.HandleFunc("GET /user/emails", f.api(func(w http.ResponseWriter, who Identity) {
		f.mu.Lock()
		f.emailCalls++
		f.mu.Unlock()
		writeJSON(w, []map[string]any{
			{"email": "other-" + who.Email, "primary": false, "verified": true},
			{"email": who.Email, "primary": true, "verified": who.Verified},
		})
	}))
	mux.HandleFunc("GET /v1.0/me", f.api(func(w http.ResponseWriter, who Identity) {
		writeJSON(w, map[string]any{"id": who.Sub, "displayName": who.Name, "mail": who.Email, "userPrincipalName": "upn@example.com"})
	}))
	f.Server = httptest.NewServer(mux)
	t.Cleanup(f.Close)
	return f
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// Counts are how many verifiers the token endpoint accepted and how many
// times /user/emails was read.
func (f *Provider) Counts() (pkce, emails int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.pkceChecked, f.emailCalls
}

// SignInAs sets who the next authorization signs in.
func (f *Provider) SignInAs(who Identity) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.next = who
}

func (f *Provider) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("response_type") != "code" || q.Get("client_id") != ClientID || q.Get("state") == "" ||
		q.Get("code_challenge_method") != "S256" || len(q.Get("code_challenge")) != 43 {
		http.Error(w, "bad authorization request: "+r.URL.RawQuery, http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	code := fmt.Sprintf("code-%d", len(f.codes)+1)
	f.codes[code] = grant{challenge: q.Get("code_challenge"), redirect: q.Get("redirect_uri"), who: f.next}
	f.mu.Unlock()
	back := url.Values{"code": {code}, "state": {q.Get("state")}}
	http.Redirect(w, r, q.Get("redirect_uri")+"?"+back.Encode(), http.StatusFound)
}

func (f *Provider) token(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	g, ok := f.codes[r.PostFormValue("code")]
	delete(f.codes, r.PostFormValue("code"))
	sum := sha256.Sum256([]byte(r.PostFormValue("code_verifier")))
	switch {
	case !ok, r.PostFormValue("grant_type") != "authorization_code", r.PostFormValue("redirect_uri") != g.redirect,
		r.PostFormValue("client_id") != ClientID, r.PostFormValue("client_secret") != ClientSecret,
		base64.RawURLEncoding.EncodeToString(sum[:]) != g.challenge:
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(`{"error":"invalid_grant"}`))
		return
	}
	f.pkceChecked++
	access := fmt.Sprintf("at-%d-%s", f.pkceChecked, g.who.Sub)
	f.tokens[access] = g.who
	writeJSON(w, map[string]any{"access_token": access, "token_type": "Bearer", "expires_in": 3600})
}

// api serves a profile endpoint to the holder of an access token.
func (f *Provider) api(fn func(http.ResponseWriter, Identity)) http.HandlerFunc {
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

// RedirectURI is the callback the tests register for provider.
func RedirectURI(provider string) string {
	return "http://app.example/api/v1/oauth/" + provider + "/callback"
}

// Configure configures names against f in the environment: credentials
// and endpoints.
func Configure(f *Provider, names ...string) apptest.Option {
	return func(c *config.Config, _ *app.Options) {
		for _, n := range names {
			c.OAuth[n] = config.OAuthProvider{ClientID: ClientID, ClientSecret: ClientSecret, RedirectURI: RedirectURI(n),
				AuthURL: f.URL + "/authorize", TokenURL: f.URL + "/token", APIURL: f.URL}
		}
	}
}

// Endpoints points names at f in the environment, leaving the
// credentials to the settings.
func Endpoints(f *Provider, names ...string) apptest.Option {
	return func(c *config.Config, _ *app.Options) {
		for _, n := range names {
			c.OAuth[n] = config.OAuthProvider{AuthURL: f.URL + "/authorize", TokenURL: f.URL + "/token", APIURL: f.URL}
		}
	}
}
