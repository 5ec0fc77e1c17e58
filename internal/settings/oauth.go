package settings

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"fastcms/internal/config"
)

// The social login keys (internal/oauth): per provider a client id, a
// client secret (write-only) and a redirect URI, and the front-end
// allow-list. An environment variable, when set, wins over each
// (config.OAuthProvider.Or, internal/app).

// KeyOAuthRedirects is the front-end allow-list of social login.
const KeyOAuthRedirects = "oauth_redirect_allowlist"

// OAuthKey is the key of a social login value: field is client_id,
// client_secret or redirect_uri.
func OAuthKey(provider, field string) string { return provider + "_" + field }

func oauthKey(provider, field, description string, secret bool) Def {
	return Def{Key: OAuthKey(provider, field), Category: "app", Kind: String, Default: "", Secret: secret, Description: description,
		Env: strings.ToUpper(OAuthKey(provider, field))}
}

// checkURLList validates a URLList value: entries of the allow-list.
func checkURLList(raw json.RawMessage) (any, string) {
	var list []string
	if bytes.Equal(raw, []byte("null")) || json.Unmarshal(raw, &list) != nil {
		return nil, `must be a list of URLs like "https://app.example.com/auth/"`
	}
	for _, u := range list {
		if _, err := config.ParseRedirectPrefix(u); err != nil {
			return nil, fmt.Sprintf("%q %v", u, err)
		}
	}
	return list, ""
}

// oauthProviders are the stored values of each provider, by name.
type oauthProviders map[string]config.OAuthProvider

// readOAuth fills the social login values from the decoded known keys.
func (s *Snapshot) readOAuth(typed map[string]any) {
	s.oauth = oauthProviders{}
	for _, p := range config.OAuthProviders {
		var c config.OAuthProvider
		c.ClientID, _ = typed[OAuthKey(p, "client_id")].(string)
		c.ClientSecret, _ = typed[OAuthKey(p, "client_secret")].(string)
		c.RedirectURI, _ = typed[OAuthKey(p, "redirect_uri")].(string)
		s.oauth[p] = c
	}
	s.oauthRedirects, _ = typed[KeyOAuthRedirects].([]string)
}

// OAuthProvider is the stored client id, secret and redirect URI of a
// social login provider (config.OAuthProviders).
func (s *Snapshot) OAuthProvider(name string) config.OAuthProvider { return s.oauth[name] }

// OAuthRedirects is the stored front-end allow-list of social login. The
// slice is shared: do not change it.
func (s *Snapshot) OAuthRedirects() []string { return s.oauthRedirects }
