package config

import (
	"slices"
	"testing"
)

func TestOAuthSettings(t *testing.T) {
	load := func(env map[string]string) (*Config, error) {
		return Load(nil, func(k string) string { return env[k] })
	}
	c, err := load(map[string]string{"GITHUB_CLIENT_ID": "id", "GITHUB_CLIENT_SECRET": "s", "GITHUB_REDIRECT_URI": "https://h/cb",
		"GITHUB_API_URL": "http://fake", "OAUTH_REDIRECT_ALLOWLIST": " https://app.example/spa/ ,,http://localhost:5173"})
	if err != nil || !c.OAuth["github"].Enabled() || c.OAuth["google"].Enabled() || c.OAuth["github"].APIURL != "http://fake" ||
		!slices.Equal(c.OAuthRedirects, []string{"https://app.example/spa/", "http://localhost:5173"}) {
		t.Fatalf("%+v %v %v", c.OAuth, c.OAuthRedirects, err)
	}
	_, err = load(map[string]string{"OAUTH_REDIRECT_ALLOWLIST": "https://app.example/,https://app.example/cb?x=1"})
	if err == nil || err.Error() != `OAUTH_REDIRECT_ALLOWLIST: "https://app.example/cb?x=1" must not have a query` {
		t.Fatalf("a bad entry: %v", err)
	}

	// The environment wins value by value; the rest comes from the settings.
	env := OAuthProvider{ClientID: "env-id", AuthURL: "http://fake/authorize"}
	got := env.Or(OAuthProvider{ClientID: "stored-id", ClientSecret: "stored-secret", RedirectURI: "https://h/cb"})
	if got != (OAuthProvider{ClientID: "env-id", ClientSecret: "stored-secret", RedirectURI: "https://h/cb", AuthURL: "http://fake/authorize"}) {
		t.Fatalf("merged: %+v", got)
	}
}
