package app

import (
	"fastcms/graph"
	"fastcms/internal/auth"
	"fastcms/internal/config"
	"fastcms/internal/settings"
)

// initialSettings are the values the configuration gives the live settings
// (README: Settings): each is pinned when its environment variable was set
// explicitly, and otherwise only the starting value an admin may change.
func initialSettings(cfg *config.Config) map[string]settings.Initial {
	values := map[string]any{
		settings.KeyEventsRetention:   cfg.EventsRetention,
		settings.KeySMTPHost:          cfg.SMTP.Host,
		settings.KeySMTPPort:          cfg.SMTP.Port,
		settings.KeySMTPUsername:      cfg.SMTP.Username,
		settings.KeySMTPPassword:      cfg.SMTP.Password,
		settings.KeySMTPFrom:          cfg.SMTP.From,
		settings.KeyAccessTokenTTL:    cfg.AccessTokenTTL,
		settings.KeyRefreshTokenTTL:   cfg.RefreshTokenTTL,
		settings.KeyCORSOrigins:       cfg.CORSOrigins,
		settings.KeyGraphQLDepth:      cfg.GraphQL.MaxDepth,
		settings.KeyGraphQLComplexity: cfg.GraphQL.MaxComplexity,
		settings.KeyIntrospection:     cfg.GraphQL.Introspection,
		settings.KeyWebhookPrivate:    cfg.Webhooks.AllowPrivateTargets,
	}
	values[settings.KeyOAuthRedirects] = cfg.OAuthRedirects
	for _, p := range config.OAuthProviders {
		c := cfg.OAuth[p]
		values[settings.OAuthKey(p, "client_id")] = c.ClientID
		values[settings.OAuthKey(p, "client_secret")] = c.ClientSecret
		values[settings.OAuthKey(p, "redirect_uri")] = c.RedirectURI
	}
	// The storage backend is read once at start (internal/config): its
	// keys show the environment's value only where it pins them.
	st := cfg.Storage
	for key, v := range map[string]any{settings.KeyStorageBackend: st.Backend, settings.KeyS3Bucket: st.S3.Bucket,
		settings.KeyS3Region: st.S3.Region, settings.KeyS3Endpoint: st.S3.Endpoint, settings.KeyS3PathStyle: st.S3.PathStyle,
		settings.KeyS3AccessKey: st.S3.AccessKeyID, settings.KeyS3SecretKey: st.S3.SecretAccessKey} {
		if d, _ := settings.Lookup(key); cfg.FromEnv[d.Env] {
			values[key] = v
		}
	}
	out := make(map[string]settings.Initial, len(values))
	for key, v := range values {
		d, _ := settings.Lookup(key)
		out[key] = settings.Initial{Value: v, Pinned: cfg.FromEnv[d.Env]}
	}
	return out
}

// The snapshot as each consumer reads it, at each use.

func authPolicy(s *settings.Snapshot) auth.Policy {
	return auth.Policy{AccessTTL: s.AccessTokenTTL(), RefreshTTL: s.RefreshTokenTTL(),
		PasswordMinLength: s.PasswordMinLength(), PasswordLetterAndDigit: s.PasswordLetterAndDigit()}
}

// smtpConfig keeps MAIL_LOG_BODIES, a start-up choice of the developer.
func smtpConfig(cfg *config.Config, s *settings.Snapshot) config.SMTP {
	m := s.SMTP()
	m.LogBodies = cfg.SMTP.LogBodies
	return m
}

func graphLimits(s *settings.Snapshot) graph.Limits {
	return graph.Limits{MaxDepth: s.GraphQLMaxDepth(), MaxComplexity: s.GraphQLMaxComplexity(), Introspection: s.GraphQLIntrospection()}
}
