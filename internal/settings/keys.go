package settings

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"
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
	Bool     Kind = iota // true or false
	Int                  // a whole number, at least Def.Min
	String               // any string
	MIMEList             // a list of media types, "type/subtype" or "type/*"
)

// Def describes a key the server knows: its category, type, default and
// what it does. Secret values are write-only: no response shows them.
type Def struct {
	Key         string
	Category    string
	Kind        Kind
	Default     any
	Min         int64
	Secret      bool
	Description string
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
)

// Defs lists the known keys, by category then key.
var Defs = []Def{
	{Key: KeyMaintenanceMode, Category: "app", Kind: Bool, Default: false,
		Description: "REST and GraphQL writes of non-admins answer 503 SERVICE_UNAVAILABLE; reads, auth and admins keep working"},
	{Key: KeySMTPPassword, Category: "email", Kind: String, Default: "", Secret: true,
		Description: "SMTP password (write-only); the mail sender reads SMTP_PASSWORD at start"},
	{Key: KeyAPIRateLimit, Category: "security", Kind: Int, Default: int64(0), Min: 0,
		Description: "requests per minute per client (per user when signed in, per address otherwise), per instance; 0 is no limit"},
	{Key: KeyTrustForwarded, Category: "security", Kind: Bool, Default: false,
		Description: "whether api_rate_limit takes an anonymous client's address from the last X-Forwarded-For entry (only behind a proxy that sets it)"},
	{Key: KeyWebhookPrivate, Category: "security", Kind: Bool, Default: false,
		Description: "let webhooks call loopback, private, link-local and other internal addresses (development and tests); checked at connect time"},
	{Key: KeyMaxFileSize, Category: "storage", Kind: Int, Default: int64(10 << 20), Min: 1,
		Description: "largest file upload in bytes"},
	{Key: KeyAllowedTypes, Category: "storage", Kind: MIMEList, Default: []string{},
		Description: "media types an upload may have, as sniffed from its bytes (\"image/*\" for a whole family); empty allows every type"},
	// The storage backend (internal/app newStores): read at start; the
	// environment variable in parentheses wins when it is set.
	{Key: KeyStorageBackend, Category: "storage", Kind: String, Default: "local",
		Description: "where new uploads go, local or s3 (STORAGE_BACKEND); read at start; older files stay where they were stored"},
	{Key: KeyS3Bucket, Category: "storage", Kind: String, Default: "", Description: "S3 bucket (S3_BUCKET); read at start"},
	{Key: KeyS3Region, Category: "storage", Kind: String, Default: "us-east-1", Description: "S3 region (S3_REGION); read at start"},
	{Key: KeyS3Endpoint, Category: "storage", Kind: String, Default: "",
		Description: "S3-compatible service URL, empty for AWS (S3_ENDPOINT); read at start"},
	{Key: KeyS3PathStyle, Category: "storage", Kind: Bool, Default: false,
		Description: "address the bucket in the path, as MinIO and versitygw need (S3_PATH_STYLE; true by default with an endpoint); read at start"},
	{Key: KeyS3AccessKey, Category: "storage", Kind: String, Default: "", Secret: true,
		Description: "S3 access key id (S3_ACCESS_KEY_ID, write-only); read at start"},
	{Key: KeyS3SecretKey, Category: "storage", Kind: String, Default: "", Secret: true,
		Description: "S3 secret access key (S3_SECRET_ACCESS_KEY, write-only); read at start"},
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
		var f float64
		if bytes.Equal(raw, []byte("null")) || json.Unmarshal(raw, &f) != nil || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
			return nil, fmt.Sprintf("must be a whole number of at least %d", d.Min)
		}
		if int64(f) < d.Min {
			return nil, fmt.Sprintf("must be a whole number of at least %d", d.Min)
		}
		return int64(f), ""
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
	default:
		var s string
		if bytes.Equal(raw, []byte("null")) || json.Unmarshal(raw, &s) != nil {
			return nil, "must be a string"
		}
		return s, ""
	}
}

// mediaRange is a lower-case "type/subtype" or "type/*" (RFC 6838 names).
var mediaRange = regexp.MustCompile(`^[a-z0-9][a-z0-9!#$&^_.+-]*/(\*|[a-z0-9][a-z0-9!#$&^_.+-]*)$`)
