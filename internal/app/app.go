// Package app assembles the services and both APIs into one http.Handler.
// server.go and the end-to-end tests build the server through it alike.
package app

import (
	"context"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/uptrace/bun"

	"fastcms/graph"
	"fastcms/internal/auth"
	"fastcms/internal/backups"
	"fastcms/internal/collections"
	"fastcms/internal/config"
	"fastcms/internal/events"
	"fastcms/internal/files"
	"fastcms/internal/httpx"
	"fastcms/internal/mail"
	"fastcms/internal/notify"
	"fastcms/internal/oauth"
	"fastcms/internal/records"
	"fastcms/internal/reference"
	"fastcms/internal/services"
	"fastcms/internal/settings"
	"fastcms/internal/storage"
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

	closers  []func() error // in the order started
	shutdown context.CancelFunc
	draining atomic.Bool
}

// onClose adds fn to what Close undoes.
func (a *App) onClose(fn func() error) { a.closers = append(a.closers, fn) }

// closeAll runs the closers, last started first, and returns the first error.
func (a *App) closeAll() error {
	var first error
	for i := len(a.closers) - 1; i >= 0; i-- {
		if err := a.closers[i](); err != nil && first == nil {
			first = err
		}
	}
	a.closers = nil
	return first
}

// New wires the services over db (already migrated) and builds the router.
func New(cfg *config.Config, db *bun.DB, opts Options) (*App, error) {
	log := opts.Log
	if log == nil {
		log = slog.Default()
	}
	// Everything started is closed on the way out, last first, whether
	// New fails half-way or the App is closed.
	a := &App{}
	fail := func(err error) (*App, error) {
		a.closeAll()
		return nil, err
	}
	hub, err := notify.Start(cfg.DatabaseURL, log)
	if err != nil {
		return fail(err)
	}
	a.onClose(hub.Close)
	settingsSvc, err := settings.New(context.Background(), db, hub, log, initialSettings(cfg))
	if err != nil {
		return fail(err)
	}
	if opts.Mail == nil {
		opts.Mail = mail.New(func() config.SMTP { return smtpConfig(cfg, settingsSvc.Current()) }, log)
	}
	authSvc, err := auth.New(db, hub, opts.Mail, log, auth.Options{
		Secret: cfg.JWTSecret, Policy: func() auth.Policy { return authPolicy(settingsSvc.Current()) },
		PublicURL: cfg.PublicURL, BcryptCost: opts.BcryptCost, Now: opts.Now,
		Throttle: auth.ThrottleOptions{PerIP: cfg.Throttle.PerIP, PerAccount: cfg.Throttle.PerAccount},
	})
	if err != nil {
		return fail(err)
	}
	a.onClose(func() error { authSvc.Close(); return nil })
	registry, err := collections.NewRegistry(context.Background(), db, hub, log)
	if err != nil {
		return fail(err)
	}
	broker, err := events.NewBroker(db.DB, hub, log, func() time.Duration { return settingsSvc.Current().EventsRetention() })
	if err != nil {
		return fail(err)
	}
	settingsSvc.OnReload(broker.Wake)
	a.onClose(func() error { broker.Close(); return nil })
	sequencer, err := events.StartSequencer(cfg.DatabaseURL, log, broker.Wake)
	if err != nil {
		return fail(err)
	}
	a.onClose(func() error { sequencer.Close(); return nil })
	webhookSvc, err := webhooks.Start(db, registry, hub, webhooks.Options{
		AllowPrivateTargets: func() bool { return settingsSvc.Current().WebhookPrivateTargets() }, RetryDelays: cfg.Webhooks.RetryDelays,
		ConnectTimeout: cfg.Webhooks.ConnectTimeout, Timeout: cfg.Webhooks.Timeout, Workers: cfg.Webhooks.Workers, Log: log,
	})
	if err != nil {
		return fail(err)
	}
	a.onClose(func() error { webhookSvc.Close(); return nil })
	stores, err := newStores(cfg, settingsSvc.Current())
	if err != nil {
		return fail(err)
	}
	filePolicy := func() files.Policy {
		snap := settingsSvc.Current()
		return files.Policy{MaxSize: snap.MaxFileSize(), Types: snap.AllowedFileTypes()}
	}
	filesSvc := files.New(db, stores, filePolicy, log)
	if err := filesSvc.FollowReleases(hub); err != nil {
		return fail(err)
	}
	sweepCtx, stopSweep := context.WithCancel(context.Background())
	swept := make(chan struct{})
	go func() { defer close(swept); filesSvc.SweepEvery(sweepCtx, files.OrphanAge) }()
	a.onClose(func() error { stopSweep(); <-swept; return nil })
	backupSvc := backups.New(db, stores, backups.Options{Version: Version, Log: log,
		Notify: []string{collections.NotifyChannel, settings.NotifyChannel, auth.NotifyChannel},
		Reload: []func(context.Context) error{registry.Reload, settingsSvc.Reload},
		Schedule: func() (string, int) {
			cur := settingsSvc.Current()
			return cur.BackupSchedule(), cur.BackupRetention()
		}})
	a.onClose(func() error { backupSvc.Close(); return nil })
	svc := &services.Set{
		Auth:        authSvc,
		Collections: collections.NewService(db, registry, log, collections.Options{Check: graph.CheckSchema}),
		Records:     records.New(db, registry),
		Events:      broker,
		Settings:    settingsSvc,
		Webhooks:    webhookSvc,
		OAuth:       oauth.New(db, authSvc, oauthSource{cfg, settingsSvc}, cfg.JWTSecret, opts.Now, log),
		Files:       filesSvc,
		Backups:     backupSvc,
	}
	svc.Records.FollowLog(broker.Cursor)
	shutdownCtx, shutdown := context.WithCancel(context.Background())
	a.Auth, a.shutdown = authSvc, shutdown
	a.onClose(func() error { shutdown(); return nil })
	cors := httpx.CORS{Origins: func() []string { return settingsSvc.Current().CORSOrigins() }}
	limiter := httpx.NewRateLimiter(func() httpx.RateLimit {
		snap := settingsSvc.Current()
		return httpx.RateLimit{PerMinute: snap.APIRateLimit(), TrustForwardedFor: snap.TrustForwardedFor()}
	}, opts.Now)

	mux := http.NewServeMux()
	ping := func(ctx context.Context) error { return db.PingContext(ctx) }
	rest.Register(mux, rest.Deps{
		Set: svc, Ping: ping, Version: Version,
		Ready: func(ctx context.Context) error {
			if a.draining.Load() {
				return context.Canceled
			}
			return ping(ctx)
		},
	})
	gql := graph.NewServer(graph.Options{
		Resolvers:                 &resolvers.Resolver{Services: svc},
		Set:                       svc,
		CheckOrigin:               func(r *http.Request) bool { return sameOrigin(r) || cors.AllowedUpgrade(r) },
		Shutdown:                  shutdownCtx,
		Limits:                    func() graph.Limits { return graphLimits(settingsSvc.Current()) },
		MaxTokens:                 cfg.GraphQL.MaxTokens,
		MaxSubscriptionsPerSocket: cfg.GraphQL.WSMaxSubscriptions,
		MaxSocketsPerClient:       cfg.GraphQL.WSMaxSockets,
		WriteTimeout:              cfg.GraphQL.WSWriteTimeout,
		MaxUploadBytes:            cfg.MaxImportBytes,
		Maintenance:               func() bool { return settingsSvc.Current().MaintenanceMode() },
		RateLimit:                 limiter.AllowOperation,
		OnRestore: func(fn func()) {
			if _, err := hub.Subscribe(backups.RestoredChannel, func(string) { fn() }); err != nil {
				log.Error("following restores", "err", err)
			}
		},
		Log: log,
	})
	mux.Handle("/graphql", withClient(gql))
	reference.Register(mux, reference.Deps{Collections: svc.Collections, PublicURL: cfg.PublicURL, Log: log})

	var h http.Handler = mux
	h = httpx.WithMaintenance(func() bool { return settingsSvc.Current().MaintenanceMode() }, h)
	h = limiter.Wrap(h)
	h = httpx.WithAuth(authSvc, h)
	h = httpx.WithBodyLimitFunc(bodyLimit(cfg), h)
	h = cors.Wrap(h)
	h = httpx.WithTimeouts(timeouts(cfg), h)
	h = httpx.WithLogging(log, h)
	h = httpx.WithRequestID(h)
	a.Handler = h
	return a, nil
}

// newStores opens the storage backends: the disk under DATA_DIR always,
// S3 when a bucket is configured, by the environment or, for what it
// leaves unset, the settings (storage_backend, s3_*), read here at start
// only: every instance must agree on where files go, which a restart of
// all of them guarantees and a live switch would not.
func newStores(cfg *config.Config, snap *settings.Snapshot) (files.Stores, error) {
	sc, err := cfg.Storage.WithSettings(func(envVar string) (string, bool) { return snap.Stored(settings.StorageEnv[envVar]) })
	if err != nil {
		return files.Stores{}, fmt.Errorf("storage (environment and settings): %w", err)
	}
	disk, err := storage.NewDisk(filepath.Join(cfg.DataDir, "files"))
	if err != nil {
		return files.Stores{}, err
	}
	stores := files.Stores{Current: sc.Backend, All: map[string]storage.Store{"local": disk}}
	if c := sc.S3; c.Complete() {
		if stores.All["s3"], err = storage.NewS3(storage.S3Config{Bucket: c.Bucket, Region: c.Region, Endpoint: c.Endpoint,
			AccessKey: c.AccessKeyID, SecretKey: c.SecretAccessKey, PathStyle: c.PathStyle}); err != nil {
			return files.Stores{}, err
		}
	}
	return stores, nil
}

// bodyLimit is the REST route table's body limits, and MAX_IMPORT_BYTES
// for GraphQL multipart requests, which carry upload_file's file, as the
// REST upload does.
func bodyLimit(cfg *config.Config) func(*http.Request) int64 {
	restLimit := rest.BodyLimit(cfg.MaxBodyBytes, cfg.MaxImportBytes)
	return func(r *http.Request) int64 {
		if r.URL.Path == "/graphql" && r.Method == http.MethodPost {
			if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt == "multipart/form-data" {
				return cfg.MaxImportBytes
			}
		}
		return restLimit(r)
	}
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
func (a *App) Close() error { return a.closeAll() }
