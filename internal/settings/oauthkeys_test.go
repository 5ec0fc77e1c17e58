package settings_test

import (
	"strings"

	"fastcms/internal/config"
)

// withOAuthDefaults adds the social login keys (category app) to a
// listing of defaults: three per provider, the secret write-only, and the
// front-end allow-list.
func withOAuthDefaults(app map[string]any) map[string]any {
	names := map[string]string{"google": "Google", "github": "GitHub", "microsoft": "Microsoft"}
	for _, p := range config.OAuthProviders {
		env := strings.ToUpper(p) + "_"
		app[p+"_client_id"] = entry("", names[p]+" OAuth client id ("+env+"CLIENT_ID wins when set)", "default", false)
		app[p+"_client_secret"] = entry(nil, names[p]+" OAuth client secret, write-only ("+env+"CLIENT_SECRET wins when set)", "default", true)
		app[p+"_redirect_uri"] = entry("", names[p]+" OAuth callback, https://host/api/v1/oauth/"+p+"/callback ("+env+"REDIRECT_URI wins when set)", "default", false)
	}
	app["oauth_redirect_allowlist"] = entry([]any{}, "front-end URLs a social login may end at (?redirect=), each an origin and path prefix; OAUTH_REDIRECT_ALLOWLIST wins when set", "default", false)
	return app
}
