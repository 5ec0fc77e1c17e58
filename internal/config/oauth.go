package config

import "strings"

// OAuthProviders are the social login providers the server knows.
var OAuthProviders = []string{"google", "github", "microsoft"}

// OAuthProvider configures one social login provider. A provider is
// enabled when ClientID, ClientSecret and RedirectURI are all set. The
// endpoints are empty for the provider's real ones; tests (and
// self-hosted identity providers that speak the same protocol) set them.
type OAuthProvider struct {
	ClientID     string
	ClientSecret string
	// RedirectURI is this server's callback, as registered with the
	// provider: https://host/api/v1/oauth/{provider}/callback.
	RedirectURI string
	AuthURL     string // the authorization endpoint
	TokenURL    string // the token endpoint
	APIURL      string // the base of the profile API (userinfo, /user, Graph)
}

// Enabled reports whether the provider is configured.
func (p OAuthProvider) Enabled() bool {
	return p.ClientID != "" && p.ClientSecret != "" && p.RedirectURI != ""
}

// loadOAuth reads NAME_CLIENT_ID, NAME_CLIENT_SECRET, NAME_REDIRECT_URI and
// the endpoint overrides NAME_AUTH_URL, NAME_TOKEN_URL and NAME_API_URL
// for each provider.
func loadOAuth(env func(key, def string) string) map[string]OAuthProvider {
	out := map[string]OAuthProvider{}
	for _, name := range OAuthProviders {
		pre := strings.ToUpper(name) + "_"
		out[name] = OAuthProvider{
			ClientID: env(pre+"CLIENT_ID", ""), ClientSecret: env(pre+"CLIENT_SECRET", ""),
			RedirectURI: env(pre+"REDIRECT_URI", ""),
			AuthURL:     env(pre+"AUTH_URL", ""), TokenURL: env(pre+"TOKEN_URL", ""), APIURL: env(pre+"API_URL", ""),
		}
	}
	return out
}
