package config

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
)

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

// Or fills p's empty values from fallback: an explicit environment value
// wins over the one stored in the settings, value by value.
func (p OAuthProvider) Or(fallback OAuthProvider) OAuthProvider {
	pick := func(v, def string) string {
		if v != "" {
			return v
		}
		return def
	}
	return OAuthProvider{
		ClientID: pick(p.ClientID, fallback.ClientID), ClientSecret: pick(p.ClientSecret, fallback.ClientSecret),
		RedirectURI: pick(p.RedirectURI, fallback.RedirectURI),
		AuthURL:     pick(p.AuthURL, fallback.AuthURL), TokenURL: pick(p.TokenURL, fallback.TokenURL), APIURL: pick(p.APIURL, fallback.APIURL),
	}
}

// loadOAuth reads NAME_CLIENT_ID, NAME_CLIENT_SECRET, NAME_REDIRECT_URI and
// the endpoint overrides NAME_AUTH_URL, NAME_TOKEN_URL and NAME_API_URL
// for each provider, and the front-end allow-list OAUTH_REDIRECT_ALLOWLIST.
func loadOAuth(env func(key, def string) string) (map[string]OAuthProvider, []string, error) {
	out := map[string]OAuthProvider{}
	for _, name := range OAuthProviders {
		pre := strings.ToUpper(name) + "_"
		out[name] = OAuthProvider{
			ClientID: env(pre+"CLIENT_ID", ""), ClientSecret: env(pre+"CLIENT_SECRET", ""),
			RedirectURI: env(pre+"REDIRECT_URI", ""),
			AuthURL:     env(pre+"AUTH_URL", ""), TokenURL: env(pre+"TOKEN_URL", ""), APIURL: env(pre+"API_URL", ""),
		}
	}
	var allow []string
	for _, entry := range strings.Split(env("OAUTH_REDIRECT_ALLOWLIST", ""), ",") {
		if entry = strings.TrimSpace(entry); entry == "" {
			continue
		}
		if _, err := ParseRedirectPrefix(entry); err != nil {
			return nil, nil, fmt.Errorf("OAUTH_REDIRECT_ALLOWLIST: %q %v", entry, err)
		}
		allow = append(allow, entry)
	}
	return out, allow, nil
}

// ParseRedirectPrefix parses an entry of the front-end allow-list of
// social login: an absolute http(s) URL whose origin a redirect must have
// exactly and whose path it must start with. The one definition for the
// environment, the setting and the check of each redirect.
func ParseRedirectPrefix(s string) (*url.URL, error) {
	u, err := ParseRedirectURL(s)
	if err != nil {
		return nil, err
	}
	if u.RawQuery != "" || u.ForceQuery {
		return nil, errors.New("must not have a query")
	}
	return u, nil
}

// ParseRedirectURL parses a front-end URL social login may redirect to:
// absolute http or https, with a host, without user info or fragment (the
// tokens go in the fragment), with a clean path (no dot segments or
// backslashes, which browsers resolve past a path prefix).
func ParseRedirectURL(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	switch {
	case err != nil, u.Scheme != "http" && u.Scheme != "https", u.Host == "", u.Opaque != "":
		return nil, errors.New("must be an absolute http or https URL")
	case u.User != nil:
		return nil, errors.New("must not have user info")
	case u.Fragment != "" || strings.Contains(s, "#"):
		return nil, errors.New("must not have a fragment")
	case strings.ContainsAny(u.Path, `\`) || slices.ContainsFunc(strings.Split(u.Path, "/"), func(seg string) bool { return seg == "." || seg == ".." }):
		return nil, errors.New("must have a path without dot segments or backslashes")
	}
	u.Host = strings.ToLower(u.Host)
	return u, nil
}
