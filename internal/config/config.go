// Package config reads the server's settings from the environment and flags.
// Every setting has a default, so `go run .` works with no configuration.
package config

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// DefaultDatabaseURL is the local PostgreSQL that a developer machine runs.
const DefaultDatabaseURL = "postgres://postgres@127.0.0.1:5432/fastcms?sslmode=disable"

// Config is the whole server configuration. Values that can change at run
// time (maintenance mode, rate limits) live in the settings table instead.
type Config struct {
	Addr            string
	DatabaseURL     string
	DataDir         string
	JWTSecret       []byte
	AccessTokenTTL  time.Duration
	RefreshTokenTTL time.Duration
	EventsRetention time.Duration // how long record events stay resumable (after_seq)
	CORSOrigins     []string
	LogLevel        slog.Level
	MaxBodyBytes    int64
	MaxImportBytes  int64 // the body limit of CSV imports, which are files
	PublicURL       string
	SMTP            SMTP
	GraphQL         GraphQL

	// StatementTimeout bounds each SQL statement (PostgreSQL's
	// statement_timeout on every pooled connection); 0 means no bound.
	StatementTimeout time.Duration
	// DatabaseMaxConns sizes the request pool; keep the sum over all
	// instances (plus two connections each: NOTIFY and the sequencer)
	// under PostgreSQL's max_connections.
	DatabaseMaxConns int
	HTTP             HTTP
	Throttle         Throttle
	// OAuthRedirects is the front-end allow-list of social login
	// (ParseRedirectPrefix entries); when set it wins over the setting.
	OAuthRedirects []string
	// OAuth configures social login per provider name (OAuthProviders).
	OAuth    map[string]OAuthProvider
	Webhooks Webhooks
	Storage  Storage
	// FromEnv names the environment variables set explicitly (not empty).
	// Those of live settings pin them: see settings.Initial.
	FromEnv map[string]bool
}

// Webhooks configure the sending of webhook deliveries.
type Webhooks struct {
	// AllowPrivateTargets is the initial value of the live setting
	// webhook_allow_private_targets: whether webhooks may call loopback,
	// private and link-local addresses (development and tests).
	AllowPrivateTargets bool
	RetryDelays         []time.Duration // after the 1st, 2nd, … failure; the last repeats
	ConnectTimeout      time.Duration
	Timeout             time.Duration // a whole attempt
	Workers             int           // concurrent sends per instance
}

// HTTP bounds how long a client may take, so a slow one cannot hold a
// goroutine (or, through it, a database connection) for long.
type HTTP struct {
	ReadTimeout  time.Duration // to send a whole request, headers and body
	WriteTimeout time.Duration // to read a whole response; for a CSV export, each chunk of it
	// StreamTimeout is the total time of a CSV import (upload and
	// database work) and of a CSV export (query and download).
	StreamTimeout time.Duration
}

// Throttle bounds attempts per minute at the auth routes that check a
// password or send mail (login, register, password reset, verification and
// email-change requests), each route on its own; 0 turns a limit off.
type Throttle struct {
	// PerIP counts per client address (the connection's, see README).
	PerIP int
	// PerAccount counts per email address, lower-cased (the caller's own
	// account for email changes); register is limited per address only.
	PerAccount int
}

// GraphQL bounds what one operation may ask for, and whether the schema
// may be introspected (production deployments may turn that off).
type GraphQL struct {
	Introspection bool
	MaxDepth      int
	MaxComplexity int
	// MaxTokens bounds the size of a document the parser reads.
	MaxTokens int
	// WSMaxSubscriptions caps the subscriptions open on one websocket, and
	// WSMaxSockets the websockets open per user (per client address for
	// anonymous ones) on one instance.
	WSMaxSubscriptions int
	WSMaxSockets       int
	// WSWriteTimeout bounds one websocket write: a client that reads
	// nothing for that long while the server has something to send is
	// dropped.
	WSWriteTimeout time.Duration
}

// SMTP configures outgoing mail; with no Host, mail is written to the log.
type SMTP struct {
	Host     string
	Port     int
	Username string
	Password string
	From     string
	// LogBodies (development only) logs whole mails when there is no Host.
	// Off, the log names the mail but leaves out its body, which holds live
	// reset and verification tokens.
	LogBodies bool
}

// Load parses args (without the program name) over the environment given by
// getenv. Flags win over environment variables.
func Load(args []string, getenv func(string) string) (*Config, error) {
	fromEnv := map[string]bool{}
	env := func(key, def string) string {
		if v := strings.TrimSpace(getenv(key)); v != "" {
			fromEnv[key] = true
			return v
		}
		return def
	}
	addr := ":8000"
	if port := env("PORT", ""); port != "" {
		addr = ":" + port
	}
	fset := flag.NewFlagSet("fastcms", flag.ContinueOnError)
	c := &Config{FromEnv: fromEnv}
	fset.StringVar(&c.Addr, "addr", addr, "listen address (env PORT gives :PORT)")
	fset.StringVar(&c.DatabaseURL, "database-url", env("DATABASE_URL", DefaultDatabaseURL), "PostgreSQL URL (env DATABASE_URL)")
	fset.StringVar(&c.DataDir, "data-dir", env("DATA_DIR", "./data"), "directory for generated secrets, files and a private cluster (env DATA_DIR)")
	logLevel := fset.String("log-level", env("LOG_LEVEL", "info"), "debug, info, warn or error (env LOG_LEVEL)")
	if err := fset.Parse(args); err != nil {
		return nil, err
	}
	if err := c.LogLevel.UnmarshalText([]byte(*logLevel)); err != nil {
		return nil, fmt.Errorf("log level: %w", err)
	}
	var err error
	if c.AccessTokenTTL, err = duration(env("ACCESS_TOKEN_TTL", "15m")); err != nil {
		return nil, fmt.Errorf("ACCESS_TOKEN_TTL: %w", err)
	}
	if c.RefreshTokenTTL, err = duration(env("REFRESH_TOKEN_TTL", "720h")); err != nil {
		return nil, fmt.Errorf("REFRESH_TOKEN_TTL: %w", err)
	}
	if c.EventsRetention, err = duration(env("EVENTS_RETENTION", "24h")); err != nil {
		return nil, fmt.Errorf("EVENTS_RETENTION: %w", err)
	}
	if c.MaxBodyBytes, err = strconv.ParseInt(env("MAX_BODY_BYTES", "1048576"), 10, 64); err != nil || c.MaxBodyBytes <= 0 {
		return nil, fmt.Errorf("MAX_BODY_BYTES must be a positive number of bytes")
	}
	if c.MaxImportBytes, err = strconv.ParseInt(env("MAX_IMPORT_BYTES", "67108864"), 10, 64); err != nil || c.MaxImportBytes <= 0 {
		return nil, fmt.Errorf("MAX_IMPORT_BYTES must be a positive number of bytes")
	}
	if c.StatementTimeout, err = time.ParseDuration(env("STATEMENT_TIMEOUT", "10s")); err != nil || c.StatementTimeout < 0 {
		return nil, fmt.Errorf("STATEMENT_TIMEOUT must be a duration (0 for none)")
	}
	if c.DatabaseMaxConns, err = strconv.Atoi(env("DATABASE_MAX_CONNS", "32")); err != nil || c.DatabaseMaxConns <= 0 {
		return nil, fmt.Errorf("DATABASE_MAX_CONNS must be a positive number of connections")
	}
	for _, d := range []struct {
		key, def string
		dst      *time.Duration
	}{
		{"HTTP_READ_TIMEOUT", "1m", &c.HTTP.ReadTimeout},
		{"HTTP_WRITE_TIMEOUT", "1m", &c.HTTP.WriteTimeout},
		{"HTTP_STREAM_TIMEOUT", "10m", &c.HTTP.StreamTimeout},
	} {
		if *d.dst, err = duration(env(d.key, d.def)); err != nil {
			return nil, fmt.Errorf("%s: %w", d.key, err)
		}
	}
	if c.GraphQL.Introspection, err = strconv.ParseBool(env("GRAPHQL_INTROSPECTION", "true")); err != nil {
		return nil, fmt.Errorf("GRAPHQL_INTROSPECTION must be true or false")
	}
	if c.GraphQL.MaxDepth, err = strconv.Atoi(env("GRAPHQL_MAX_DEPTH", "12")); err != nil || c.GraphQL.MaxDepth < 1 {
		return nil, fmt.Errorf("GRAPHQL_MAX_DEPTH must be a positive whole number")
	}
	if c.GraphQL.MaxComplexity, err = strconv.Atoi(env("GRAPHQL_MAX_COMPLEXITY", "5000")); err != nil || c.GraphQL.MaxComplexity < 1 {
		return nil, fmt.Errorf("GRAPHQL_MAX_COMPLEXITY must be a positive whole number")
	}
	if c.GraphQL.MaxTokens, err = strconv.Atoi(env("GRAPHQL_MAX_TOKENS", "15000")); err != nil || c.GraphQL.MaxTokens < 1 {
		return nil, fmt.Errorf("GRAPHQL_MAX_TOKENS must be a positive whole number")
	}
	if c.GraphQL.WSMaxSubscriptions, err = strconv.Atoi(env("GRAPHQL_WS_MAX_SUBSCRIPTIONS", "50")); err != nil || c.GraphQL.WSMaxSubscriptions < 1 {
		return nil, fmt.Errorf("GRAPHQL_WS_MAX_SUBSCRIPTIONS must be a positive whole number")
	}
	if c.GraphQL.WSMaxSockets, err = strconv.Atoi(env("GRAPHQL_WS_MAX_SOCKETS", "20")); err != nil || c.GraphQL.WSMaxSockets < 1 {
		return nil, fmt.Errorf("GRAPHQL_WS_MAX_SOCKETS must be a positive whole number")
	}
	if c.GraphQL.WSWriteTimeout, err = time.ParseDuration(env("GRAPHQL_WS_WRITE_TIMEOUT", "10s")); err != nil || c.GraphQL.WSWriteTimeout <= 0 {
		return nil, fmt.Errorf("GRAPHQL_WS_WRITE_TIMEOUT must be a positive duration (e.g. 10s)")
	}
	for _, o := range strings.Split(env("CORS_ORIGINS", ""), ",") {
		if o = strings.TrimSpace(o); o != "" {
			c.CORSOrigins = append(c.CORSOrigins, o)
		}
	}
	c.PublicURL = strings.TrimRight(env("PUBLIC_URL", "http://localhost"+c.Addr), "/")
	c.SMTP = SMTP{Host: env("SMTP_HOST", ""), Username: env("SMTP_USERNAME", ""), Password: env("SMTP_PASSWORD", ""), From: env("SMTP_FROM", "fastcms@localhost")}
	if c.SMTP.Port, err = strconv.Atoi(env("SMTP_PORT", "587")); err != nil {
		return nil, fmt.Errorf("SMTP_PORT: %w", err)
	}
	if c.Throttle.PerIP, err = strconv.Atoi(env("AUTH_RATE_LIMIT_IP", "30")); err != nil || c.Throttle.PerIP < 0 {
		return nil, fmt.Errorf("AUTH_RATE_LIMIT_IP must be a whole number of attempts per minute (0 for no limit)")
	}
	if c.Throttle.PerAccount, err = strconv.Atoi(env("AUTH_RATE_LIMIT_ACCOUNT", "10")); err != nil || c.Throttle.PerAccount < 0 {
		return nil, fmt.Errorf("AUTH_RATE_LIMIT_ACCOUNT must be a whole number of attempts per minute (0 for no limit)")
	}
	if c.SMTP.LogBodies, err = strconv.ParseBool(env("MAIL_LOG_BODIES", "false")); err != nil {
		return nil, fmt.Errorf("MAIL_LOG_BODIES must be true or false")
	}
	if err := c.Webhooks.load(env); err != nil {
		return nil, err
	}
	if c.Storage, err = loadStorage(env); err != nil {
		return nil, err
	}
	if s := env("JWT_SECRET", ""); s != "" {
		if len(s) < 32 {
			return nil, errors.New("JWT_SECRET must be at least 32 characters")
		}
		c.JWTSecret = []byte(s)
	}
	if c.OAuth, c.OAuthRedirects, err = loadOAuth(env); err != nil {
		return nil, err
	}
	return c, nil
}

func duration(s string) (time.Duration, error) {
	d, err := time.ParseDuration(s)
	if err == nil && d <= 0 {
		err = errors.New("must be positive")
	}
	return d, err
}

// EnsureJWTSecret fills JWTSecret from DataDir/jwt_secret, generating and
// keeping a random one on first start, so tokens survive restarts without a
// secret ever being hard-coded.
func (c *Config) EnsureJWTSecret() error {
	if len(c.JWTSecret) > 0 {
		return nil
	}
	path := filepath.Join(c.DataDir, "jwt_secret")
	b, err := os.ReadFile(path)
	if err == nil && len(strings.TrimSpace(string(b))) >= 32 {
		c.JWTSecret = []byte(strings.TrimSpace(string(b)))
		return nil
	}
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return err
	}
	secret := hex.EncodeToString(raw)
	if err := os.MkdirAll(c.DataDir, 0o700); err != nil {
		return err
	}
	if err := os.WriteFile(path, []byte(secret+"\n"), 0o600); err != nil {
		return err
	}
	c.JWTSecret = []byte(secret)
	return nil
}

func (w *Webhooks) load(env func(key, def string) string) error {
	var err error
	if w.AllowPrivateTargets, err = strconv.ParseBool(env("WEBHOOK_ALLOW_PRIVATE_TARGETS", "false")); err != nil {
		return fmt.Errorf("WEBHOOK_ALLOW_PRIVATE_TARGETS must be true or false")
	}
	for _, part := range strings.Split(env("WEBHOOK_RETRY_DELAYS", "1m,5m,15m,30m,1h"), ",") {
		d, err := duration(strings.TrimSpace(part))
		if err != nil {
			return fmt.Errorf("WEBHOOK_RETRY_DELAYS must be a comma-separated list of positive durations")
		}
		w.RetryDelays = append(w.RetryDelays, d)
	}
	if w.ConnectTimeout, err = duration(env("WEBHOOK_CONNECT_TIMEOUT", "5s")); err != nil {
		return fmt.Errorf("WEBHOOK_CONNECT_TIMEOUT must be a positive duration")
	}
	if w.Timeout, err = duration(env("WEBHOOK_TIMEOUT", "15s")); err != nil {
		return fmt.Errorf("WEBHOOK_TIMEOUT must be a positive duration")
	}
	if w.Workers, err = strconv.Atoi(env("WEBHOOK_WORKERS", "4")); err != nil || w.Workers < 1 {
		return fmt.Errorf("WEBHOOK_WORKERS must be a positive whole number")
	}
	return nil
}
