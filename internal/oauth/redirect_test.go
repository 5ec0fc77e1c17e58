package oauth_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"fastcms/internal/app"
	"fastcms/internal/apptest"
	"fastcms/internal/config"
	"fastcms/internal/oauthtest"
)

const notAllowed = "is not on the allow-list of front-end URLs (oauth_redirect_allowlist)"

// TestRedirectToFrontEnd: ?redirect= ends a social login at a front-end
// URL on the allow-list, with the tokens (or the error) in the fragment;
// anything else is a 400 naming the field, never an open redirect.
func TestRedirectToFrontEnd(t *testing.T) {
	f := oauthtest.New(t)
	s := apptest.Start(t, oauthtest.Configure(f, "google"))
	root := adminToken(t, s)
	refused := func(s *apptest.Server, redirect, why string) {
		t.Helper()
		r := oauthtest.Login(t, s, "google", url.Values{"redirect": {redirect}}.Encode())
		apptest.ExpectError(t, r, http.StatusBadRequest, "bad request", "redirect: "+why, map[string]string{"redirect": why})
		if r.Header.Get("Set-Cookie") != "" {
			t.Fatalf("a refused login set a cookie: %v", r.Header)
		}
	}
	// No allow-list, no redirect.
	refused(s, "https://app.example/spa/done", notAllowed)

	// The allow-list is checked when it is stored.
	for entry, why := range map[string]string{
		"ftp://app.example/":           "must be an absolute http or https URL",
		"app.example/spa/":             "must be an absolute http or https URL",
		"https://app.example/spa/?x=1": "must not have a query",
		"https://app.example/spa/#x":   "must not have a fragment",
		"https://u:p@app.example/":     "must not have user info",
		"https://app.example/a/../b/":  "must have a path without dot segments or backslashes",
	} {
		msg := `"` + entry + `" ` + why
		apptest.ExpectError(t, s.Do(t, http.MethodPost, "/api/v1/settings", map[string]any{"key": "oauth_redirect_allowlist", "value": []string{"https://app.example/spa/", entry}}, root),
			http.StatusUnprocessableEntity, "validation failed", "oauth_redirect_allowlist: "+msg, map[string]string{"oauth_redirect_allowlist": msg})
	}
	apptest.ExpectError(t, s.Do(t, http.MethodPost, "/api/v1/settings", map[string]any{"key": "oauth_redirect_allowlist", "value": "https://app.example/"}, root),
		http.StatusUnprocessableEntity, "validation failed", `oauth_redirect_allowlist: must be a list of URLs like "https://app.example.com/auth/"`,
		map[string]string{"oauth_redirect_allowlist": `must be a list of URLs like "https://app.example.com/auth/"`})
	set(t, s, root, "oauth_redirect_allowlist", []string{"https://app.example/spa/", "http://localhost:5173"})

	for redirect, why := range map[string]string{
		"https://evil.example/spa/done":                        notAllowed,
		"https://app.example.evil.example/spa/":                notAllowed,
		"https://app.example/spam":                             notAllowed,
		"https://app.example/":                                 notAllowed,
		"http://app.example/spa/done":                          notAllowed,
		"https://app.example:8443/spa/done":                    notAllowed,
		"https://app.example/spa/../admin":                     "must have a path without dot segments or backslashes",
		"https://app.example/spa/%2e%2e/admin":                 "must have a path without dot segments or backslashes",
		`https://app.example/spa/..\admin`:                     "must have a path without dot segments or backslashes",
		"https://app.example/spa/done#x":                       "must not have a fragment",
		"https://app.example@evil.example/spa/":                "must not have user info",
		"//evil.example/spa/":                                  "must be an absolute http or https URL",
		"/spa/done":                                            "must be an absolute http or https URL",
		"javascript:alert(1)":                                  "must be an absolute http or https URL",
		"https://app.example/spa/" + strings.Repeat("a", 2000): "must be at most 2000 characters",
	} {
		refused(s, redirect, why)
	}

	// A whole sign-in that ends at the front-end: 303 with the tokens in
	// the fragment, the front-end's own query kept, nothing in the body.
	who := oauthtest.Identity{Sub: oauthtest.NewSub(), Email: "spa@example.com", Verified: true, Name: "Spa"}
	f.SignInAs(who)
	code, state, cookie := oauthtest.Start(t, s, "google", url.Values{"redirect": {"https://app.example/spa/done?from=login"}}.Encode())
	r := oauthtest.Callback(t, s, "google", code, state, cookie)
	loc, err := url.Parse(r.Header.Get("Location"))
	if err != nil || r.Status != http.StatusSeeOther || len(r.Body) != 0 || r.Header.Get("Cache-Control") != "no-store" ||
		r.Header.Get("Set-Cookie") != "fastcms_oauth=; Path=/api/v1/oauth; Max-Age=0; HttpOnly; SameSite=Lax" {
		t.Fatalf("callback: %d %v %q", r.Status, r.Header, r.Body)
	}
	if got := loc.Scheme + "://" + loc.Host + loc.Path + "?" + loc.RawQuery; got != "https://app.example/spa/done?from=login" {
		t.Fatalf("redirected to %s", loc)
	}
	frag, err := url.ParseQuery(loc.Fragment)
	if err != nil || len(frag) != 4 || frag.Get("token_type") != "bearer" || frag.Get("expires_in") != "900" ||
		frag.Get("access_token") == "" || frag.Get("refresh_token") == "" {
		t.Fatalf("fragment: %q", loc.Fragment)
	}

	// The tokens work on REST and GraphQL.
	access := frag.Get("access_token")
	apptest.ExpectJSON(t, s.Do(t, http.MethodGet, "/api/v1/auth/me", nil, access), http.StatusOK, map[string]any{
		"id": apptest.AnyUUID, "email": who.Email, "name": "Spa", "avatar": "", "role": "user", "verified": true,
		"oauth_provider": "google", "created": apptest.AnyTime, "updated": apptest.AnyTime})
	gql, _ := s.GraphQL(t, `{ me { email oauth_provider } oauth_providers { provider email } }`, nil, access)
	apptest.ExpectJSON(t, gql, http.StatusOK, map[string]any{"data": map[string]any{
		"me":              map[string]any{"email": who.Email, "oauth_provider": "google"},
		"oauth_providers": []any{map[string]any{"provider": "google", "email": who.Email}}}})
	refreshed := s.Do(t, http.MethodPost, "/api/v1/auth/refresh", map[string]any{"refresh_token": frag.Get("refresh_token")}, "")
	if refreshed.Status != http.StatusOK {
		t.Fatalf("refresh: %d %s", refreshed.Status, refreshed.Body)
	}

	// An entry without a path allows any path of its origin.
	oauthtest.Start(t, s, "google", url.Values{"redirect": {"http://localhost:5173/auth/callback"}}.Encode())

	// A failure after the state is checked ends at the front-end too, with the error.
	taken := s.Do(t, http.MethodPost, "/api/v1/auth/register", map[string]any{"email": "taken@example.com", "password": password, "password_confirm": password}, "")
	if taken.Status != http.StatusCreated {
		t.Fatalf("register: %d %s", taken.Status, taken.Body)
	}
	f.SignInAs(oauthtest.Identity{Sub: oauthtest.NewSub(), Email: "taken@example.com", Verified: false})
	code, state, cookie = oauthtest.Start(t, s, "google", url.Values{"redirect": {"https://app.example/spa/done"}}.Encode())
	r = oauthtest.Callback(t, s, "google", code, state, cookie)
	want := "https://app.example/spa/done#" + url.Values{"error": {"conflict"},
		"message": {"an account with this email already exists; google did not verify the email, so it is not linked: sign in with your password"}}.Encode()
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != want {
		t.Fatalf("failed sign-in: %d %q", r.Status, r.Header.Get("Location"))
	}
	_, state, cookie = oauthtest.Start(t, s, "google", url.Values{"redirect": {"https://app.example/spa/denied"}}.Encode())
	r = oauthtest.CallbackQuery(t, s, "google", url.Values{"error": {"access_denied"}, "state": {state}}, cookie)
	want = "https://app.example/spa/denied#" + url.Values{"error": {"bad request"}, "message": {"google did not authorize the sign-in: access_denied"}}.Encode()
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != want {
		t.Fatalf("denied sign-in: %d %q", r.Status, r.Header.Get("Location"))
	}
	// Without a good state there is no trusted URL: the answer is JSON.
	apptest.ExpectError(t, oauthtest.Callback(t, s, "google", code, state+"x", cookie), http.StatusBadRequest, "bad request",
		"invalid or expired OAuth state: start the sign-in again from this browser", nil)

	// The environment's allow-list wins over the setting.
	e := apptest.Start(t, oauthtest.Configure(f, "google"), func(c *config.Config, _ *app.Options) {
		c.OAuthRedirects, c.FromEnv = []string{"https://other.example/app"}, map[string]bool{"OAUTH_REDIRECT_ALLOWLIST": true}
	})
	refused(e, "https://app.example/spa/done", notAllowed)
	if resp := oauthtest.Login(t, e, "google", url.Values{"redirect": {"https://other.example/app/x"}}.Encode()); resp.Status != http.StatusFound {
		t.Fatalf("env allow-list: %d", resp.Status)
	}
}
