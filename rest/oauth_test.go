package rest_test

import (
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"fastcms/internal/app"
	"fastcms/internal/apptest"
	"fastcms/internal/config"
	"fastcms/internal/oauthtest"
)

// TestOAuthGoogleLogin: the login redirect carries state and an S256
// challenge and sets the binding cookie; the callback exchanges the code
// with the verifier, creates the user and opens a normal session whose
// tokens work on REST and GraphQL, refresh and logout-all. Signing in
// again finds the user by the provider account, even with a new email.
func TestOAuthGoogleLogin(t *testing.T) {
	t.Parallel()
	f := oauthtest.New(t)
	s := apptest.Start(t, oauthtest.Configure(f, "google"))

	resp, err := oauthtest.NoRedirect.Get(s.URL + "/api/v1/oauth/google/login")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound || resp.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("login: %d, Cache-Control %q", resp.StatusCode, resp.Header.Get("Cache-Control"))
	}
	loc, _ := url.Parse(resp.Header.Get("Location"))
	q := loc.Query()
	if got := loc.Scheme + "://" + loc.Host + loc.Path; got != f.URL+"/authorize" {
		t.Fatalf("redirected to %s", got)
	}
	want := map[string]string{"client_id": oauthtest.ClientID, "response_type": "code", "scope": "openid email profile",
		"redirect_uri": "http://app.example/api/v1/oauth/google/callback", "code_challenge_method": "S256"}
	for k, v := range want {
		if q.Get(k) != v {
			t.Errorf("%s = %q, want %q", k, q.Get(k), v)
		}
	}
	if len(q.Get("code_challenge")) != 43 || q.Get("state") == "" {
		t.Errorf("challenge %q state %q", q.Get("code_challenge"), q.Get("state"))
	}
	cookies := resp.Cookies()
	if len(cookies) != 1 || cookies[0].Name != "fastcms_oauth" || !cookies[0].HttpOnly || cookies[0].Path != "/api/v1/oauth" ||
		cookies[0].MaxAge != 600 || cookies[0].SameSite != http.SameSiteLaxMode || len(cookies[0].Value) != 43 {
		t.Fatalf("cookie: %+v", cookies)
	}
	if strings.Contains(resp.Header.Get("Location"), cookies[0].Value) {
		t.Fatal("the PKCE verifier left the browser's cookie")
	}

	email := newEmail("g-new")
	sub := oauthtest.NewSub()
	f.SignInAs(oauthtest.Identity{Sub: sub, Email: strings.ToUpper(email), Verified: true, Name: "Gina"})
	code, state, cookie := oauthtest.Start(t, s, "google", "")
	r := oauthtest.Callback(t, s, "google", code, state, cookie)
	apptest.ExpectJSON(t, r, http.StatusOK, oauthtest.Answer(apptest.AnyUUID, email, "Gina", true, "google"))
	if r.Header.Get("Cache-Control") != "no-store" || !strings.Contains(r.Header.Get("Set-Cookie"), "fastcms_oauth=; Path=/api/v1/oauth; Max-Age=0") {
		t.Fatalf("callback headers: %v", r.Header)
	}
	if pkce, _ := f.Counts(); pkce != 1 {
		t.Fatalf("the token endpoint checked %d verifiers", pkce)
	}
	body := r.JSON(t)
	user := body["user"].(map[string]any)
	access, refresh := body["access_token"].(string), body["refresh_token"].(string)

	me := s.Do(t, http.MethodGet, "/api/v1/auth/me", nil, access)
	wantMe := map[string]any{"id": user["id"], "email": email, "name": "Gina", "avatar": "", "role": "user", "verified": true,
		"oauth_provider": "google", "created": apptest.AnyTime, "updated": apptest.AnyTime}
	apptest.ExpectJSON(t, me, http.StatusOK, wantMe)
	_, gql := s.GraphQL(t, `{ me { email oauth_provider } oauth_providers { provider email } }`, nil, access)
	if d := apptest.Diff(gql, map[string]any{"data": map[string]any{
		"me":              map[string]any{"email": email, "oauth_provider": "google"},
		"oauth_providers": []any{map[string]any{"provider": "google", "email": email}},
	}}, "$"); d != "" {
		t.Fatal(d)
	}
	links := s.Do(t, http.MethodGet, "/api/v1/auth/oauth", nil, access)
	apptest.ExpectJSON(t, links, http.StatusOK, []any{map[string]any{"provider": "google", "email": email, "created": apptest.AnyTime}})

	// An OAuth user has no password to log in with.
	expectUnauthorized(t, s.Do(t, http.MethodPost, "/api/v1/auth/login", map[string]any{"email": email, "password": ""}, ""), "Invalid email or password")

	rotated := s.Do(t, http.MethodPost, "/api/v1/auth/refresh", map[string]any{"refresh_token": refresh}, "")
	if rotated.Status != http.StatusOK {
		t.Fatalf("refresh: %d %s", rotated.Status, rotated.Body)
	}

	// The provider account, not the email, finds the user the next time.
	again := oauthtest.SignIn(t, s, f, "google", oauthtest.Identity{Sub: sub, Email: newEmail("g-renamed"), Verified: true, Name: "Gina"})
	if again["user"].(map[string]any)["id"] != user["id"] || again["user"].(map[string]any)["email"] != email {
		t.Fatalf("second sign-in: %v", again)
	}
	second := again["access_token"].(string)
	if r := s.Do(t, http.MethodPost, "/api/v1/auth/logout-all", nil, second); r.Status != http.StatusNoContent {
		t.Fatalf("logout-all: %d %s", r.Status, r.Body)
	}
	for _, tok := range []string{access, second} {
		if r := s.Do(t, http.MethodGet, "/api/v1/auth/me", nil, tok); r.Status != http.StatusUnauthorized {
			t.Fatalf("after logout-all: %d", r.Status)
		}
	}
}

// TestOAuthStateRefused: a state signs in once, from the browser it was
// issued to, for its provider, within its lifetime, with its signature.
func TestOAuthStateRefused(t *testing.T) {
	t.Parallel()
	now := time.Now()
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	f := oauthtest.New(t)
	s := apptest.Start(t, oauthtest.Configure(f, "google", "github"), apptest.WithNow(clock))
	const invalid = "invalid or expired OAuth state: start the sign-in again from this browser"
	bad := func(r *apptest.Response, message string) {
		t.Helper()
		apptest.ExpectError(t, r, http.StatusBadRequest, "bad request", message, nil)
	}
	f.SignInAs(oauthtest.Identity{Sub: oauthtest.NewSub(), Email: newEmail("state"), Verified: true})

	t.Run("replayed", func(t *testing.T) {
		code, state, cookie := oauthtest.Start(t, s, "google", "")
		if r := oauthtest.Callback(t, s, "google", code, state, cookie); r.Status != http.StatusOK {
			t.Fatalf("first: %d %s", r.Status, r.Body)
		}
		bad(oauthtest.Callback(t, s, "google", code, state, cookie), "this OAuth state was already used: start the sign-in again")
	})
	t.Run("forged", func(t *testing.T) {
		code, state, cookie := oauthtest.Start(t, s, "google", "")
		payload, sig, _ := strings.Cut(state, ".")
		bad(oauthtest.Callback(t, s, "google", code, payload+"."+strings.Repeat("A", len(sig)), cookie), invalid)
		bad(oauthtest.Callback(t, s, "google", code, "not-a-state", cookie), invalid)
	})
	t.Run("another browser", func(t *testing.T) {
		code, state, _ := oauthtest.Start(t, s, "google", "")
		_, _, otherCookie := oauthtest.Start(t, s, "google", "")
		bad(oauthtest.Callback(t, s, "google", code, state, otherCookie), invalid)
		r := s.Do(t, http.MethodGet, "/api/v1/oauth/google/callback?"+url.Values{"code": {code}, "state": {state}}.Encode(), nil, "")
		bad(r, invalid)
	})
	t.Run("another provider", func(t *testing.T) {
		code, state, cookie := oauthtest.Start(t, s, "github", "")
		bad(oauthtest.Callback(t, s, "google", code, state, cookie), invalid)
	})
	t.Run("expired", func(t *testing.T) {
		code, state, cookie := oauthtest.Start(t, s, "google", "")
		mu.Lock()
		now = now.Add(11 * time.Minute)
		mu.Unlock()
		bad(oauthtest.Callback(t, s, "google", code, state, cookie), invalid)
	})
	t.Run("bad code", func(t *testing.T) {
		_, state, cookie := oauthtest.Start(t, s, "google", "")
		bad(oauthtest.Callback(t, s, "google", "code-unknown", state, cookie), "google refused the authorization code: start the sign-in again")
	})
	t.Run("missing and denied", func(t *testing.T) {
		r := s.Do(t, http.MethodGet, "/api/v1/oauth/google/callback", nil, "")
		apptest.ExpectError(t, r, http.StatusUnprocessableEntity, "validation failed", "validation failed",
			map[string]string{"code": "is required", "state": "is required"})
		bad(s.Do(t, http.MethodGet, "/api/v1/oauth/google/callback?error=access_denied", nil, ""),
			"google did not authorize the sign-in: access_denied")
	})
}

// TestOAuthLinkByEmail: an existing account joins by email only when the
// provider verified the email; otherwise it is left alone (409).
func TestOAuthLinkByEmail(t *testing.T) {
	t.Parallel()
	f := oauthtest.New(t)
	s := apptest.Start(t, oauthtest.Configure(f, "google", "microsoft"))

	t.Run("unverified is not linked", func(t *testing.T) {
		acc := register(t, s, newEmail("unverified"))
		f.SignInAs(oauthtest.Identity{Sub: oauthtest.NewSub(), Email: acc.Email, Verified: false, Name: "Mallory"})
		code, state, cookie := oauthtest.Start(t, s, "google", "")
		apptest.ExpectError(t, oauthtest.Callback(t, s, "google", code, state, cookie), http.StatusConflict, "conflict",
			"an account with this email already exists; google did not verify the email, so it is not linked: sign in with your password", nil)
		apptest.ExpectJSON(t, s.Do(t, http.MethodGet, "/api/v1/auth/oauth", nil, acc.Access), http.StatusOK, []any{})
		apptest.ExpectJSON(t, s.Do(t, http.MethodGet, "/api/v1/auth/me", nil, acc.Access), http.StatusOK, userJSON(acc.ID, acc.Email, "user", false))
	})
	t.Run("microsoft never links by email", func(t *testing.T) {
		acc := register(t, s, newEmail("ms"))
		f.SignInAs(oauthtest.Identity{Sub: oauthtest.NewSub(), Email: acc.Email, Verified: true})
		code, state, cookie := oauthtest.Start(t, s, "microsoft", "")
		apptest.ExpectError(t, oauthtest.Callback(t, s, "microsoft", code, state, cookie), http.StatusConflict, "conflict",
			"an account with this email already exists; microsoft did not verify the email, so it is not linked: sign in with your password", nil)
		fresh := newEmail("ms-new")
		got := oauthtest.SignIn(t, s, f, "microsoft", oauthtest.Identity{Sub: oauthtest.NewSub(), Email: fresh, Name: "Mia"})
		if d := apptest.Diff(got, oauthtest.Answer(apptest.AnyUUID, fresh, "Mia", false, "microsoft"), "$"); d != "" {
			t.Fatal(d)
		}
	})
	t.Run("verified is linked", func(t *testing.T) {
		acc := verifiedAccount(t, s, newEmail("verified"))
		got := oauthtest.SignIn(t, s, f, "google", oauthtest.Identity{Sub: oauthtest.NewSub(), Email: acc.Email, Verified: true, Name: "Vera"})
		if d := apptest.Diff(got, oauthtest.Answer(acc.ID, acc.Email, "", true, "google"), "$"); d != "" {
			t.Fatal(d)
		}
		// The password and its session still work: both logins are the same user.
		login(t, s, acc.Email, password)
		apptest.ExpectJSON(t, s.Do(t, http.MethodGet, "/api/v1/auth/oauth", nil, acc.Access), http.StatusOK,
			[]any{map[string]any{"provider": "google", "email": acc.Email, "created": apptest.AnyTime}})
	})
	t.Run("an unproven password is dropped", func(t *testing.T) {
		// Someone registered the owner's address in advance, without
		// proving it; the owner's verified sign-in must not share the
		// account with them.
		squatter := register(t, s, newEmail("squat"))
		got := oauthtest.SignIn(t, s, f, "google", oauthtest.Identity{Sub: oauthtest.NewSub(), Email: squatter.Email, Verified: true, Name: "Owner"})
		if d := apptest.Diff(got, oauthtest.Answer(squatter.ID, squatter.Email, "", true, "google"), "$"); d != "" {
			t.Fatal(d)
		}
		expectUnauthorized(t, s.Do(t, http.MethodPost, "/api/v1/auth/login", map[string]any{"email": squatter.Email, "password": password}, ""),
			"Invalid email or password")
		if r := s.Do(t, http.MethodGet, "/api/v1/auth/me", nil, squatter.Access); r.Status != http.StatusUnauthorized {
			t.Fatalf("the squatter's session survived: %d", r.Status)
		}
		if r := s.Do(t, http.MethodGet, "/api/v1/auth/me", nil, got["access_token"].(string)); r.Status != http.StatusOK {
			t.Fatalf("owner: %d %s", r.Status, r.Body)
		}
	})
}

// verifiedAccount registers email and verifies it through the mailed token.
func verifiedAccount(t *testing.T, s *apptest.Server, email string) account {
	t.Helper()
	acc := register(t, s, email)
	token := apptest.Token(t, s.Mail.Last(t, acc.Email, "Verify your email"))
	if r := s.Do(t, http.MethodPost, "/api/v1/auth/verify-email", map[string]any{"token": token}, ""); r.Status != http.StatusNoContent {
		t.Fatalf("verify: %d %s", r.Status, r.Body)
	}
	return acc
}

// TestOAuthGitHubEmails: GitHub's email is the primary one from the
// separate /user/emails call, with its verified flag; the public email on
// /user is ignored.
func TestOAuthGitHubEmails(t *testing.T) {
	t.Parallel()
	f := oauthtest.New(t)
	s := apptest.Start(t, oauthtest.Configure(f, "github"))

	email := newEmail("gh")
	sub := oauthtest.NewSub()
	got := oauthtest.SignIn(t, s, f, "github", oauthtest.Identity{Sub: sub, Email: email, Verified: true, Name: ""})
	if d := apptest.Diff(got, oauthtest.Answer(apptest.AnyUUID, email, "octo"+sub, true, "github"), "$"); d != "" {
		t.Fatal(d)
	}
	if _, emails := f.Counts(); emails != 1 {
		t.Fatalf("/user/emails called %d times", emails)
	}

	acc := register(t, s, newEmail("gh-taken"))
	f.SignInAs(oauthtest.Identity{Sub: oauthtest.NewSub(), Email: acc.Email, Verified: false})
	code, state, cookie := oauthtest.Start(t, s, "github", "")
	apptest.ExpectError(t, oauthtest.Callback(t, s, "github", code, state, cookie), http.StatusConflict, "conflict",
		"an account with this email already exists; github did not verify the email, so it is not linked: sign in with your password", nil)
	apptest.ExpectJSON(t, s.Do(t, http.MethodGet, "/api/v1/auth/oauth", nil, acc.Access), http.StatusOK, []any{})
}

// TestOAuthUnconfigured: a provider without credentials, or an unknown
// one, is a 404 that says so.
func TestOAuthUnconfigured(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t)
	apptest.ExpectError(t, s.Do(t, http.MethodGet, "/api/v1/oauth/github/login", nil, ""), http.StatusNotFound, "not found",
		`OAuth provider "github" is not configured on this server`, nil)
	apptest.ExpectError(t, s.Do(t, http.MethodGet, "/api/v1/oauth/github/callback?code=x&state=y", nil, ""), http.StatusNotFound, "not found",
		`OAuth provider "github" is not configured on this server`, nil)
	apptest.ExpectError(t, s.Do(t, http.MethodGet, "/api/v1/oauth/facebook/login", nil, ""), http.StatusNotFound, "not found",
		`unknown OAuth provider "facebook" (google, github or microsoft)`, nil)
}

// TestOAuthUnlink: providers are unlinked on REST and GraphQL, but never
// the last way in of a user without a password.
func TestOAuthUnlink(t *testing.T) {
	t.Parallel()
	f := oauthtest.New(t)
	s := apptest.Start(t, oauthtest.Configure(f, "google", "github"))
	email := newEmail("unlink")
	g := oauthtest.SignIn(t, s, f, "google", oauthtest.Identity{Sub: oauthtest.NewSub(), Email: email, Verified: true})
	access := g["access_token"].(string)
	last := "google is your only way to sign in: set a password (password reset) or link another provider first"
	apptest.ExpectError(t, s.Do(t, http.MethodDelete, "/api/v1/auth/oauth/google", nil, access), http.StatusConflict, "conflict", last, nil)

	gh := oauthtest.SignIn(t, s, f, "github", oauthtest.Identity{Sub: oauthtest.NewSub(), Email: email, Verified: true})
	if gh["user"].(map[string]any)["id"] != g["user"].(map[string]any)["id"] {
		t.Fatal("the verified GitHub email did not link to the same user")
	}
	_, res := s.GraphQL(t, `mutation { unlink_oauth(provider: "google") }`, nil, access)
	if d := apptest.Diff(res, map[string]any{"data": map[string]any{"unlink_oauth": true}}, "$"); d != "" {
		t.Fatal(d)
	}
	_, res = s.GraphQL(t, `{ oauth_providers { provider } me { oauth_provider } }`, nil, access)
	if d := apptest.Diff(res, map[string]any{"data": map[string]any{
		"oauth_providers": []any{map[string]any{"provider": "github"}}, "me": map[string]any{"oauth_provider": "github"}}}, "$"); d != "" {
		t.Fatal(d)
	}
	r, _ := s.GraphQL(t, `mutation { unlink_oauth(provider: "github") }`, nil, access)
	apptest.ExpectJSON(t, r, http.StatusOK, map[string]any{"data": nil, "errors": []any{map[string]any{
		"message": strings.Replace(last, "google", "github", 1), "path": []any{"unlink_oauth"},
		"locations": []any{map[string]any{"line": 1, "column": 12}}, "extensions": map[string]any{"code": "CONFLICT"}}}})
	apptest.ExpectError(t, s.Do(t, http.MethodDelete, "/api/v1/auth/oauth/google", nil, access), http.StatusNotFound, "not found",
		"no google account is linked", nil)

	// A user with a password may drop every provider.
	acc := verifiedAccount(t, s, newEmail("unlink-pw"))
	oauthtest.SignIn(t, s, f, "google", oauthtest.Identity{Sub: oauthtest.NewSub(), Email: acc.Email, Verified: true})
	if r := s.Do(t, http.MethodDelete, "/api/v1/auth/oauth/google", nil, acc.Access); r.Status != http.StatusNoContent {
		t.Fatalf("unlink with a password: %d %s", r.Status, r.Body)
	}
	apptest.ExpectJSON(t, s.Do(t, http.MethodGet, "/api/v1/auth/me", nil, acc.Access), http.StatusOK, userJSON(acc.ID, acc.Email, "user", true))
	expectUnauthorized(t, s.Do(t, http.MethodGet, "/api/v1/auth/oauth", nil, ""), "authentication required")
}

// TestOAuthProviderFailure: a profile the provider will not give is a
// 502 that names the provider, and signs nobody in.
func TestOAuthProviderFailure(t *testing.T) {
	t.Parallel()
	f := oauthtest.New(t)
	s := apptest.Start(t, oauthtest.Configure(f, "google"), func(c *config.Config, _ *app.Options) {
		g := c.OAuth["google"]
		g.APIURL = f.URL + "/missing"
		c.OAuth["google"] = g
	})
	f.SignInAs(oauthtest.Identity{Sub: oauthtest.NewSub(), Email: newEmail("pf"), Verified: true})
	code, state, cookie := oauthtest.Start(t, s, "google", "")
	apptest.ExpectError(t, oauthtest.Callback(t, s, "google", code, state, cookie), http.StatusBadGateway, "bad gateway",
		"could not read the google profile", nil)
}

// TestOAuthSecureCookie: with an https callback the login cookie is
// Secure, set and cleared alike.
func TestOAuthSecureCookie(t *testing.T) {
	t.Parallel()
	f := oauthtest.New(t)
	s := apptest.Start(t, oauthtest.Configure(f, "github"), func(c *config.Config, _ *app.Options) {
		g := c.OAuth["github"]
		g.RedirectURI = "https://app.example/api/v1/oauth/github/callback"
		c.OAuth["github"] = g
	})
	resp, err := oauthtest.NoRedirect.Get(s.URL + "/api/v1/oauth/github/login")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if c := resp.Cookies(); len(c) != 1 || !c[0].Secure || !c[0].HttpOnly {
		t.Fatalf("login cookie: %+v", c)
	}
	f.SignInAs(oauthtest.Identity{Sub: oauthtest.NewSub(), Email: newEmail("secure"), Verified: true})
	code, state, cookie := oauthtest.Start(t, s, "github", "")
	r := oauthtest.Callback(t, s, "github", code, state, cookie)
	if r.Status != http.StatusOK || r.Header.Get("Set-Cookie") != "fastcms_oauth=; Path=/api/v1/oauth; Max-Age=0; HttpOnly; Secure; SameSite=Lax" {
		t.Fatalf("callback: %d %q", r.Status, r.Header.Get("Set-Cookie"))
	}
}

// TestOAuthThrottled: starts and callbacks are each limited per client
// address by the auth throttle, with its 429 and Retry-After; a refused
// start sets no cookie and a refused callback reaches no provider.
func TestOAuthThrottled(t *testing.T) {
	t.Parallel()
	f := oauthtest.New(t)
	s := apptest.Start(t, oauthtest.Configure(f, "google"), limits(3, 100))
	email := newEmail("throttled")
	f.SignInAs(oauthtest.Identity{Sub: oauthtest.NewSub(), Email: email, Verified: true, Name: "Tess"})
	code, state, cookie := oauthtest.Start(t, s, "google", "")
	oauthtest.Start(t, s, "google", "")
	oauthtest.Start(t, s, "google", "")
	r := s.Do(t, http.MethodGet, "/api/v1/oauth/google/login", nil, "")
	expectThrottled(t, r, 20)
	if c := r.Header.Get("Set-Cookie"); c != "" {
		t.Fatalf("a refused start set %q", c)
	}
	expectThrottled(t, s.Do(t, http.MethodGet, "/api/v1/oauth/facebook/login", nil, ""), 20)

	// Callbacks have their own budget: two guesses and the real one, then no more.
	for range 2 {
		apptest.ExpectError(t, oauthtest.Callback(t, s, "google", code, "guessed.state", cookie), http.StatusBadRequest, "bad request",
			"invalid or expired OAuth state: start the sign-in again from this browser", nil)
	}
	apptest.ExpectJSON(t, oauthtest.Callback(t, s, "google", code, state, cookie), http.StatusOK,
		oauthtest.Answer(apptest.AnyUUID, email, "Tess", true, "google"))
	expectThrottled(t, oauthtest.Callback(t, s, "google", code, state, cookie), 20)
	if pkce, _ := f.Counts(); pkce != 1 {
		t.Fatalf("the provider saw %d exchanges", pkce)
	}
}
