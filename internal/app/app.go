// Package app assembles the services and both APIs into one http.Handler.
// server.go and the end-to-end tests build the server through it alike.
package app

import (
	"context"
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/99designs/gqlgen/graphql/playground"
	"github.com/uptrace/bun"

	"fastcms/graph"
	"fastcms/internal/auth"
	"fastcms/internal/collections"
	"fastcms/internal/config"
	"fastcms/internal/events"
	"fastcms/internal/httpx"
	"fastcms/internal/mail"
	"fastcms/internal/notify"
	"fastcms/internal/records"
	"fastcms/internal/webhooks"
	"fastcms/resolvers"
	"fastcms/rest"
)

// Version is the server version reported by /health.
const Version = "0.1.0"

// Options are the parts tests may replace: the clock, the mail transport
// (an SMTP server is external) and the bcrypt cost.
type Options struct {
	Log        *slog.Logger
	Mail       mail.Sender
	BcryptCost int
	Now        func() time.Time
}

// App is a running FastCMS instance over one database.
type App struct {
	Handler http.Handler
	Auth    *auth.Service

	hub       *notify.Hub
	broker    *events.Broker
	sequencer *events.Sequencer
	webhooks  *webhooks.Service
	shutdown  context.CancelFunc
	draining  atomic.Bool
}

// New wires the services over db (already migrated) and builds the router.
func New(cfg *config.Config, db *bun.DB, opts Options) (*App, error) {
	log := opts.Log
	if log == nil {
		log = slog.Default()
	}
	if opts.Mail == nil {
		opts.Mail = mail.New(cfg.SMTP, log)
	}
	hub, err := notify.Start(cfg.DatabaseURL, log)
	if err != nil {
		return nil, err
	}
	authSvc, err := auth.New(db, hub, opts.Mail, log, auth.Options{
		Secret: cfg.JWTSecret, AccessTTL: cfg.AccessTokenTTL, RefreshTTL: cfg.RefreshTokenTTL,
		PublicURL: cfg.PublicURL, BcryptCost: opts.BcryptCost, Now: opts.Now,
		Throttle: auth.ThrottleOptions{PerIP: cfg.Throttle.PerIP, PerAccount: cfg.Throttle.PerAccount},
	})
	if err != nil {
		hub.Close()
		return nil, err
	}
	registry, err := collections.NewRegistry(context.Background(), db, hub, log)
	if err != nil {
		authSvc.Close()
		hub.Close()
		return nil, err
	}
	collectionSvc := collections.NewService(db, registry, log)
	recordSvc := records.New(db, registry)
	broker, err := events.NewBroker(db.DB, hub, log, cfg.EventsRetention)
	if err != nil {
		authSvc.Close()
		hub.Close()
		return nil, err
	}
	sequencer, err := events.StartSequencer(cfg.DatabaseURL, log, broker.Wake)
	if err != nil {
		broker.Close()
		hub.Close()
		return nil, err
	}
	webhookSvc, err := webhooks.Start(db, registry, hub, webhooks.Options{
		AllowPrivateTargets: cfg.Webhooks.AllowPrivateTargets, RetryDelays: cfg.Webhooks.RetryDelays,
		ConnectTimeout: cfg.Webhooks.ConnectTimeout, Timeout: cfg.Webhooks.Timeout, Workers: cfg.Webhooks.Workers, Log: log,
	})
	if err != nil {
		sequencer.Close()
		broker.Close()
		hub.Close()
		return nil, err
	}
	shutdownCtx, shutdown := context.WithCancel(context.Background())
	a := &App{Auth: authSvc, hub: hub, broker: broker, sequencer: sequencer, webhooks: webhookSvc, shutdown: shutdown}
	cors := httpx.CORS{Origins: cfg.CORSOrigins}

	mux := http.NewServeMux()
	ping := func(ctx context.Context) error { return db.PingContext(ctx) }
	rest.Register(mux, rest.Deps{
		Auth: authSvc, Collections: collectionSvc, Records: recordSvc, Webhooks: webhookSvc, Ping: ping, Version: Version,
		Ready: func(ctx context.Context) error {
			if a.draining.Load() {
				return context.Canceled
			}
			return ping(ctx)
		},
	})
	gql := graph.NewServer(graph.Options{
		Resolvers:                 &resolvers.Resolver{Auth: authSvc, CollectionService: collectionSvc, WebhookService: webhookSvc},
		Collections:               collectionSvc,
		Records:                   recordSvc,
		Events:                    broker,
		Auth:                      authSvc,
		CheckOrigin:               func(r *http.Request) bool { return sameOrigin(r) || cors.AllowedUpgrade(r) },
		Shutdown:                  shutdownCtx,
		MaxDepth:                  cfg.GraphQL.MaxDepth,
		MaxComplexity:             cfg.GraphQL.MaxComplexity,
		MaxTokens:                 cfg.GraphQL.MaxTokens,
		MaxSubscriptionsPerSocket: cfg.GraphQL.WSMaxSubscriptions,
		MaxSocketsPerClient:       cfg.GraphQL.WSMaxSockets,
		Introspection:             cfg.GraphQL.Introspection,
		Log:                       log,
	})
	mux.Handle("/graphql", withClient(gql))
	mux.Handle("GET /playground", playground.Handler("FastCMS GraphiQL", "/graphql"))

	var h http.Handler = mux
	h = httpx.WithAuth(authSvc, h)
	h = httpx.WithBodyLimitFunc(rest.BodyLimit(cfg.MaxBodyBytes, cfg.MaxImportBytes), h)
	h = cors.Wrap(h)
	h = httpx.WithTimeouts(timeouts(cfg), h)
	h = httpx.WithLogging(log, h)
	h = httpx.WithRequestID(h)
	a.Handler = h
	return a, nil
}

// withClient hands the resolvers the caller's address and user agent.
func withClient(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := auth.Client{UserAgent: r.UserAgent(), IP: httpx.ClientIP(r)}
		next.ServeHTTP(w, r.WithContext(resolvers.WithClient(r.Context(), c)))
	})
}

// sameOrigin accepts websockets from non-browser clients (no Origin) and
// from pages served by this host.
func sameOrigin(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	return origin == "" || origin == "http://"+r.Host || origin == "https://"+r.Host
}

// Drain marks the instance not ready and closes its websockets; call it
// when shutdown begins, before http.Server.Shutdown waits for requests.
func (a *App) Drain() {
	a.draining.Store(true)
	a.shutdown()
}

// Close releases what New started; mail already queued is sent first.
func (a *App) Close() error {
	a.shutdown()
	a.webhooks.Close()
	a.sequencer.Close()
	a.Auth.Close()
	a.broker.Close()
	return a.hub.Close()
}
