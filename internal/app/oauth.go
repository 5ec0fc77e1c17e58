package app

import (
	"fastcms/internal/config"
	"fastcms/internal/settings"
)

// oauthSource configures social login from the environment and the live
// settings: an environment value, when set, wins over the stored one.
type oauthSource struct {
	cfg      *config.Config
	settings *settings.Service
}

func (s oauthSource) Provider(name string) config.OAuthProvider {
	return s.settings.Current().OAuthProvider(name).Or(s.cfg.OAuth[name])
}

func (s oauthSource) Redirects() []string {
	return s.settings.Current().OAuthRedirects()
}
