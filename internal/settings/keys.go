package settings

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
)

// Categories are the groups settings are listed in; unknown keys go to
// Custom.
var Categories = []string{"app", "email", "security", "storage", "custom"}

// Custom is the category of every key the server does not know.
const Custom = "custom"

// Kind is the JSON type a known key's value must have.
type Kind int

// The kinds of known keys.
const (
	Bool       Kind = iota // true or false
	Int                    // a whole number from Def.Min to Def.Max (when not 0)
	String                 // any string
	MIMEList               // a list of media types, "type/subtype" or "type/*"
	Duration               // a positive Go duration as a string: "15m", "720h"
	OriginList             // a list of browser origins ("https://app.example") or "*"
	URLList                // a list of http(s) URL prefixes (config.ParseRedirectPrefix)
)

// Def describes a key the server knows: its category, type, default and
// what it does. Secret values are write-only: no response shows them.
type Def struct {
	Key         string
	Category    string
	Kind        Kind
	Default     any
	Min         int64
	Max         int64 // 0: no maximum
	Secret      bool
	Description string
	// Env is the environment variable that gives the initial value; set
	// explicitly, it wins over a stored value (see Initial).
	Env string
	// Check, when set, further validates a String value; it returns why
	// the value is refused, or "".
	Check func(string) string
}

// Known keys. Each one the server reads is enforced live, from the
// snapshot (see Snapshot's accessors).
const (
	KeyMaintenanceMode = "maintenance_mode"
	KeyAPIRateLimit    = "api_rate_limit"
	KeyTrustForwarded  = "trust_x_forwarded_for"
	KeyMaxFileSize     = "max_file_size"
	KeyAllowedTypes    = "allowed_file_types"
	KeySMTPPassword    = "smtp_password"
	KeyWebhookPrivate  = "webhook_allow_private_targets"

	KeyEventsRetention   = "events_retention"
	KeySMTPHost          = "smtp_host"
	KeySMTPPort          = "smtp_port"
	KeySMTPUsername      = "smtp_username"
	KeySMTPFrom          = "smtp_from"
	KeyAccessTokenTTL    = "access_token_ttl"
	KeyRefreshTokenTTL   = "refresh_token_ttl"
	KeyPasswordMinLength = "password_min_length"
	KeyPasswordMix       = "password_require_letter_and_digit"
	KeyCORSOrigins       = "cors_origins"
	KeyGraphQLDepth      = "graphql_max_depth"
	KeyGraphQLComplexity = "graphql_max_complexity"
	KeyIntrospection     = "graphql_introspection"
)

// Defs lists the known keys, by category then key.
var Defs = []Def{
	{Key: KeyMaintenanceMode, Category: "app", Kind: Bool, Default: false,
		Description: "REST and GraphQL writes of non-admins answer 503 SERVICE_UNAVAILABLE; reads, auth and admins keep working"},
	{Key: KeyEventsRetention, Category: "app", Kind: Duration, Default: "24h", Env: "EVENTS_RETENTION",
		Description: "how long record events are kept, so how far back a subscription may resume with after_seq (a Go duration)"},
	{Key: KeySMTPHost, Category: "email", Kind: String, Default: "", Env: "SMTP_HOST",
		Description: "SMTP server host; empty logs each mail instead of sending it"},
	{Key: KeySMTPPort, Category: "email", Kind: Int, Default: int64(587), Min: 1, Max: 65535, Env: "SMTP_PORT",
		Description: "SMTP server port"},
	{Key: KeySMTPUsername, Category: "email", Kind: String, Default: "", Env: "SMTP_USERNAME",
		Description: "SMTP user name; empty sends without authentication"},
	{Key: KeySMTPPassword, Category: "email", Kind: String, Default: "", Secret: true, Env: "SMTP_PASSWORD",
		Description: "SMTP password (write-only)"},
	{Key: KeySMTPFrom, Category: "email", Kind: String, Default: "fastcms@localhost", Env: "SMTP_FROM",
		Description: "sender address of every mail"},
	{Key: KeyAPIRateLimit, Category: "security", Kind: Int, Default: int64(0), Min: 0,
		Description: "requests per minute per client (per user when signed in, per address otherwise), per instance; 0 is no limit"},
	{Key: KeyTrustForwarded, Category: "security", Kind: Bool, Default: false,
		Description: "whether api_rate_limit takes an anonymous client's address from the last X-Forwarded-For entry (only behind a proxy that sets it)"},
	{Key: KeyAccessTokenTTL, Category: "security", Kind: Duration, Default: "15m", Env: "ACCESS_TOKEN_TTL",
		Description: "lifetime of an access token issued from now on (a Go duration)"},
	{Key: KeyRefreshTokenTTL, Category: "security", Kind: Duration, Default: "720h", Env: "REFRESH_TOKEN_TTL",
		Description: "lifetime of a session from its sign-in or last refresh, set from now on (a Go duration)"},
	{Key: KeyPasswordMinLength, Category: "security", Kind: Int, Default: int64(8), Min: 1, Max: 100,
		Description: "fewest characters a new password may have (at most 100 are allowed)"},
	{Key: KeyPasswordMix, Category: "security", Kind: Bool, Default: true,
		Description: "whether a new password must contain a letter and a digit"},
	{Key: KeyCORSOrigins, Category: "security", Kind: OriginList, Default: []string{}, Env: "CORS_ORIGINS",
		Description: `origins whose pages may call the API with credentials; "*" lets any page call it without them`},
	{Key: KeyGraphQLDepth, Category: "security", Kind: Int, Default: int64(12), Min: 1, Env: "GRAPHQL_MAX_DEPTH",
		Description: "deepest field nesting one GraphQL operation may ask for"},
	{Key: KeyGraphQLComplexity, Category: "security", Kind: Int, Default: int64(5000), Min: 1, Env: "GRAPHQL_MAX_COMPLEXITY",
		Description: "cost limit of one GraphQL operation (README: GRAPHQL_MAX_COMPLEXITY)"},
	{Key: KeyIntrospection, Category: "security", Kind: Bool, Default: true, Env: "GRAPHQL_INTROSPECTION",
		Description: "whether GraphQL clients may read the schema (__schema, __type)"},
	{Key: KeyWebhookPrivate, Category: "security", Kind: Bool, Default: false, Env: "WEBHOOK_ALLOW_PRIVATE_TARGETS",
		Description: "let webhooks call loopback, private, link-local and other internal addresses (development and tests); checked at connect time"},
	{Key: KeyMaxFileSize, Category: "storage", Kind: Int, Default: int64(10 << 20), Min: 1,
		Description: "largest file upload in bytes"},
	{Key: KeyAllowedTypes, Category: "storage", Kind: MIMEList, Default: []string{},
		Description: "media types an upload may have, as sniffed from its bytes (\"image/*\" for a whole family); empty allows every type"},
	// Social login (internal/oauth): a provider is on when its three
	// values are set; an environment variable, when set, wins over each.
	oauthKey("google", "client_id", "Google OAuth client id (GOOGLE_CLIENT_ID wins when set)", false),
	oauthKey("google", "client_secret", "Google OAuth client secret, write-only (GOOGLE_CLIENT_SECRET wins when set)", true),
	oauthKey("google", "redirect_uri", "Google OAuth callback, https://host/api/v1/oauth/google/callback (GOOGLE_REDIRECT_URI wins when set)", false),
	oauthKey("github", "client_id", "GitHub OAuth client id (GITHUB_CLIENT_ID wins when set)", false),
	oauthKey("github", "client_secret", "GitHub OAuth client secret, write-only (GITHUB_CLIENT_SECRET wins when set)", true),
	oauthKey("github", "redirect_uri", "GitHub OAuth callback, https://host/api/v1/oauth/github/callback (GITHUB_REDIRECT_URI wins when set)", false),
	oauthKey("microsoft", "client_id", "Microsoft OAuth client id (MICROSOFT_CLIENT_ID wins when set)", false),
	oauthKey("microsoft", "client_secret", "Microsoft OAuth client secret, write-only (MICROSOFT_CLIENT_SECRET wins when set)", true),
	oauthKey("microsoft", "redirect_uri", "Microsoft OAuth callback, https://host/api/v1/oauth/microsoft/callback (MICROSOFT_REDIRECT_URI wins when set)", false),
	{Key: KeyOAuthRedirects, Category: "app", Kind: URLList, Default: []string{}, Env: "OAUTH_REDIRECT_ALLOWLIST",
		Description: "front-end URLs a social login may end at (?redirect=), each an origin and path prefix; OAUTH_REDIRECT_ALLOWLIST wins when set"},
	// The storage backend (internal/app newStores): read at start; the
	// environment variable in parentheses wins when it is set.
	{Key: KeyStorageBackend, Category: "storage", Kind: String, Default: "local",
		Env: "STORAGE_BACKEND", Description: "where new uploads go, local or s3 (STORAGE_BACKEND); read at start; older files stay where they were stored"},
	{Key: KeyS3Bucket, Category: "storage", Kind: String, Default: "", Env: "S3_BUCKET", Description: "S3 bucket (S3_BUCKET); read at start"},
	{Key: KeyS3Region, Category: "storage", Kind: String, Default: "us-east-1", Env: "S3_REGION", Description: "S3 region (S3_REGION); read at start"},
	{Key: KeyS3Endpoint, Category: "storage", Kind: String, Default: "",
		Env: "S3_ENDPOINT", Description: "S3-compatible service URL, empty for AWS (S3_ENDPOINT); read at start"},
	{Key: KeyS3PathStyle, Category: "storage", Kind: Bool, Default: false,
		Env: "S3_PATH_STYLE", Description: "address the bucket in the path, as MinIO and versitygw need (S3_PATH_STYLE; true by default with an endpoint); read at start"},
	{Key: KeyS3AccessKey, Category: "storage", Kind: String, Default: "", Secret: true,
		Env: "S3_ACCESS_KEY_ID", Description: "S3 access key id (S3_ACCESS_KEY_ID, write-only); read at start"},
	{Key: KeyS3SecretKey, Category: "storage", Kind: String, Default: "", Secret: true,
		Env: "S3_SECRET_ACCESS_KEY", Description: "S3 secret access key (S3_SECRET_ACCESS_KEY, write-only); read at start"},
	// Backups (internal/backups): the schedule is checked when set, so a
	// typo is a 400 rather than backups silently never taken.
	{Key: KeyBackupSchedule, Category: "app", Kind: String, Default: "", Check: checkSchedule,
		Description: "when to take a scheduled backup, a cron expression in UTC (\"0 3 * * *\" is daily at 03:00, \"@hourly\"); empty takes none"},
	{Key: KeyBackupRetention, Category: "app", Kind: Int, Default: int64(7), Min: 1,
		Description: "how many scheduled backups to keep; older ones are deleted after each scheduled backup (other backups are never deleted)"},
}

// Keys of the storage backend, each standing for the environment variable
// StorageEnv names.
const (
	KeyStorageBackend = "storage_backend"
	KeyS3Bucket       = "s3_bucket"
	KeyS3Region       = "s3_region"
	KeyS3Endpoint     = "s3_endpoint"
	KeyS3PathStyle    = "s3_path_style"
	KeyS3AccessKey    = "s3_access_key_id"
	KeyS3SecretKey    = "s3_secret_access_key"
)

// StorageEnv maps the storage backend's environment variables to their keys.
var StorageEnv = map[string]string{
	"STORAGE_BACKEND": KeyStorageBackend, "S3_BUCKET": KeyS3Bucket, "S3_REGION": KeyS3Region, "S3_ENDPOINT": KeyS3Endpoint,
	"S3_PATH_STYLE": KeyS3PathStyle, "S3_ACCESS_KEY_ID": KeyS3AccessKey, "S3_SECRET_ACCESS_KEY": KeyS3SecretKey,
}

// The keys of the backup schedule.
const (
	KeyBackupSchedule  = "backup_schedule"
	KeyBackupRetention = "backup_retention"
)

// checkSchedule validates a backup_schedule: empty, or a standard 5-field
// cron expression or descriptor, as robfig/cron parses it.
func checkSchedule(v string) string {
	if v == "" {
		return ""
	}
	if _, err := cron.ParseStandard(v); err != nil || strings.HasPrefix(v, "TZ=") || strings.HasPrefix(v, "CRON_TZ=") {
		return `must be a cron expression of 5 fields (minute hour day month weekday, e.g. "0 3 * * *") or a descriptor like "@daily"`
	}
	return ""
}

// Lookup finds the definition of a known key.
func Lookup(key string) (Def, bool) {
	i := slices.IndexFunc(Defs, func(d Def) bool { return d.Key == key })
	if i < 0 {
		return Def{}, false
	}
	return Defs[i], true
}

// keyPattern is what a key looks like: snake_case, as the known ones.
var keyPattern = regexp.MustCompile(`^[a-z][a-z0-9_]{0,62}$`)

// secretSuffixes mark custom keys whose values are write-only too, so a
// credential stored as a custom setting is not shown back either.
var secretSuffixes = []string{"_password", "_secret", "_secret_key", "_api_key", "_token"}

// IsSecret reports whether key's value is write-only.
func IsSecret(key string) bool {
	if d, ok := Lookup(key); ok {
		return d.Secret
	}
	return slices.ContainsFunc(secretSuffixes, func(s string) bool { return strings.HasSuffix(key, s) })
}

// check validates raw as a value of d and returns it decoded (bool, int64
// or string), or why it is not one.
func (d Def) check(raw json.RawMessage) (any, string) {
	switch d.Kind {
	case Bool:
		var b bool
		if bytes.Equal(raw, []byte("null")) || json.Unmarshal(raw, &b) != nil {
			return nil, "must be true or false"
		}
		return b, ""
	case Int:
		why := fmt.Sprintf("must be a whole number of at least %d", d.Min)
		if d.Max > 0 {
			why = fmt.Sprintf("must be a whole number from %d to %d", d.Min, d.Max)
		}
		var f float64
		if bytes.Equal(raw, []byte("null")) || json.Unmarshal(raw, &f) != nil || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
			return nil, why
		}
		if int64(f) < d.Min || d.Max > 0 && int64(f) > d.Max {
			return nil, why
		}
		return int64(f), ""
	case Duration:
		var s string
		if bytes.Equal(raw, []byte("null")) || json.Unmarshal(raw, &s) != nil {
			return nil, `must be a duration like "15m" or "720h"`
		}
		v, err := time.ParseDuration(s)
		if err != nil || v < time.Second {
			return nil, `must be a duration of at least 1s, like "15m" or "720h"`
		}
		return v, ""
	case OriginList:
		var list []string
		if bytes.Equal(raw, []byte("null")) || json.Unmarshal(raw, &list) != nil {
			return nil, `must be a list of origins like "https://app.example", or "*"`
		}
		for _, o := range list {
			if !origin.MatchString(o) {
				return nil, fmt.Sprintf(`%q is not an origin like "https://app.example" (scheme and host, no path), or "*"`, o)
			}
		}
		return list, ""
	case MIMEList:
		var list []string
		if bytes.Equal(raw, []byte("null")) || json.Unmarshal(raw, &list) != nil {
			return nil, `must be a list of media types like "image/png" or "image/*"`
		}
		for i, t := range list {
			list[i] = strings.ToLower(strings.TrimSpace(t))
			if !mediaRange.MatchString(list[i]) {
				return nil, fmt.Sprintf(`%q is not a media type like "image/png" or "image/*"`, t)
			}
		}
		return list, ""
	case URLList:
		return checkURLList(raw)
	default:
		var s string
		if bytes.Equal(raw, []byte("null")) || json.Unmarshal(raw, &s) != nil {
			return nil, "must be a string"
		}
		if d.Check != nil {
			if why := d.Check(s); why != "" {
				return nil, why
			}
		}
		return s, ""
	}
}

// origin is "*" or what a browser sends in Origin: scheme://host[:port].
var origin = regexp.MustCompile(`^(\*|[a-z][a-z0-9+.-]*://[^/?#\s]+)$`)

// formatDuration writes d as the shortest Go duration that reads back as
// it: "15m" and "720h" rather than "15m0s" and "720h0m0s".
func formatDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}

// mediaRange is a lower-case "type/subtype" or "type/*" (RFC 6838 names).
var mediaRange = regexp.MustCompile(`^[a-z0-9][a-z0-9!#$&^_.+-]*/(\*|[a-z0-9][a-z0-9!#$&^_.+-]*)$`)
