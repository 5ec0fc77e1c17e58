package oauth_test

import (
	"bytes"
	"net/http"
	"net/url"
	"testing"
	"time"

	"fastcms/internal/app"
	"fastcms/internal/apptest"
	"fastcms/internal/config"
	"fastcms/internal/oauthtest"
)

const unconfigured = `OAuth provider "github" is not configured on this server`

// TestProvidersFromSettings: a provider's client id, secret and redirect
// URI stored as settings turn it on for every instance within a second,
// with the secret never shown; an environment value wins over the stored
// one; deleting a value turns the provider off everywhere.
func TestProvidersFromSettings(t *testing.T) {
	f := oauthtest.New(t)
	a, b := apptest.Start(t, oauthtest.Endpoints(f, "github")), apptest.Start(t, oauthtest.Endpoints(f, "github"))
	root := adminToken(t, a)
	apptest.ExpectError(t, oauthtest.Login(t, b, "github", ""), http.StatusNotFound, "not found", unconfigured, nil)

	start := time.Now()
	set(t, a, root, "github_client_id", oauthtest.ClientID)
	set(t, a, root, "github_redirect_uri", oauthtest.RedirectURI("github"))
	apptest.ExpectJSON(t, set(t, a, root, "github_client_secret", oauthtest.ClientSecret), http.StatusOK, map[string]any{
		"key": "github_client_secret", "category": "app", "value": nil, "description": descGitHubSecret, "source": "database", "secret": true})
	apptest.WaitFor(t, "github on b", func() bool { return loginStatus(t, b, "github") == http.StatusFound })
	t.Logf("the provider reached the second instance after %v", time.Since(start))

	// A whole sign-in on b: the fake provider's token endpoint checks the
	// stored secret and redirect URI.
	who := oauthtest.Identity{Sub: oauthtest.NewSub(), Email: "from-settings@example.com", Verified: true, Name: "Seth"}
	got := oauthtest.SignIn(t, b, f, "github", who)
	if d := apptest.Diff(got, oauthtest.Answer(apptest.AnyUUID, who.Email, "Seth", true, "github"), "$"); d != "" {
		t.Fatal(d)
	}

	listing := b.Do(t, http.MethodGet, "/api/v1/settings/app", nil, root)
	stored := listing.JSON(t)
	for key, want := range map[string]any{
		"github_client_id":     entry(oauthtest.ClientID, descGitHubID, "database", false),
		"github_client_secret": entry(nil, descGitHubSecret, "database", true),
		"github_redirect_uri":  entry(oauthtest.RedirectURI("github"), descGitHubRedirect, "database", false),
	} {
		if d := apptest.Diff(stored[key], want, key); d != "" {
			t.Fatal(d)
		}
	}
	gql, _ := b.GraphQL(t, `{ settings(category: "app") { key value } }`, nil, root)
	for _, body := range [][]byte{listing.Body, gql.Body} {
		if bytes.Contains(body, []byte(oauthtest.ClientSecret)) {
			t.Fatalf("the client secret came back: %s", body)
		}
	}

	// An environment value wins over the stored one, value by value.
	c := apptest.Start(t, oauthtest.Endpoints(f, "github"), func(cfg *config.Config, _ *app.Options) {
		g := cfg.OAuth["github"]
		g.ClientID = "env-client"
		cfg.OAuth["github"], cfg.FromEnv = g, map[string]bool{"GITHUB_CLIENT_ID": true}
	})
	resp := oauthtest.Login(t, c, "github", "")
	loc, _ := url.Parse(resp.Header.Get("Location"))
	if resp.Status != http.StatusFound || loc.Query().Get("client_id") != "env-client" || loc.Query().Get("redirect_uri") != oauthtest.RedirectURI("github") {
		t.Fatalf("login with GITHUB_CLIENT_ID set: %d %s", resp.Status, loc)
	}

	// Without its secret the provider is off on every instance.
	if r := a.Do(t, http.MethodDelete, "/api/v1/settings/github_client_secret", nil, root); r.Status != http.StatusNoContent {
		t.Fatalf("delete: %d %s", r.Status, r.Body)
	}
	for _, s := range []*apptest.Server{b, c, a} {
		apptest.WaitFor(t, "github off", func() bool { return loginStatus(t, s, "github") == http.StatusNotFound })
		apptest.ExpectError(t, oauthtest.Login(t, s, "github", ""), http.StatusNotFound, "not found", unconfigured, nil)
	}
	apptest.ExpectError(t, oauthtest.Callback(t, b, "github", "code-1", "any.state", "cookie"), http.StatusNotFound, "not found", unconfigured, nil)
}

// Descriptions of the GitHub settings, as the API shows them.
const (
	descGitHubID       = "GitHub OAuth client id (GITHUB_CLIENT_ID wins when set)"
	descGitHubSecret   = "GitHub OAuth client secret, write-only (GITHUB_CLIENT_SECRET wins when set)"
	descGitHubRedirect = "GitHub OAuth callback, https://host/api/v1/oauth/github/callback (GITHUB_REDIRECT_URI wins when set)"
)

// entry is a setting as a listing shows it.
func entry(value any, description, source string, secret bool) map[string]any {
	return map[string]any{"value": value, "description": description, "source": source, "secret": secret}
}
