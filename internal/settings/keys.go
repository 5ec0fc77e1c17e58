package settings

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"

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
	// Backups (internal/backups): the schedule is checked when set, so a
	// typo is a 400 rather than backups silently never taken.
	{Key: KeyBackupSchedule, Category: "app", Kind: String, Default: "", Check: checkSchedule,
		Description: "when to take a scheduled backup, a cron expression in UTC (\"0 3 * * *\" is daily at 03:00, \"@hourly\"); empty takes none"},
	{Key: KeyBackupRetention, Category: "app", Kind: Int, Default: int64(7), Min: 1,
		Description: "how many scheduled backups to keep; older ones are deleted after each scheduled backup (other backups are never deleted)"},
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
		if d.Check != nil {
			if why := d.Check(s); why != "" {
				return nil, why
			}
		}
		return s, ""
	}
}

// mediaRange is a lower-case "type/subtype" or "type/*" (RFC 6838 names).
var mediaRange = regexp.MustCompile(`^[a-z0-9][a-z0-9!#$&^_.+-]*/(\*|[a-z0-9][a-z0-9!#$&^_.+-]*)$`)
