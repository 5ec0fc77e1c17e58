package settings

import (
	"encoding/json"
	"sort"
	"time"

	"fastcms/internal/config"
)

// Where an entry's value comes from.
const (
	SourceDefault     = "default"
	SourceEnvironment = "environment" // set explicitly in the environment, which wins
	SourceDatabase    = "database"
)

// Entry is one setting as this instance sees it.
type Entry struct {
	Key         string
	Category    string
	Description string
	// Value is the JSON value; nil for a secret (write-only) one.
	Value  json.RawMessage
	Source string
	Secret bool
}

// Snapshot is one immutable version of the settings. Requests read the
// enforced keys through its accessors, which cost no database round trip.
type Snapshot struct {
	// oauth holds the social login values by provider, oauthRedirects
	// the front-end allow-list (see oauth.go).
	oauth          oauthProviders
	oauthRedirects []string

	entries     map[string]*Entry
	maintenance bool
	rateLimit   int
	trustXFF    bool
	hookPrivate bool
	maxFileSize int64
	fileTypes   []string

	retention   time.Duration
	smtp        config.SMTP
	accessTTL   time.Duration
	refreshTTL  time.Duration
	passwordMin int
	passwordMix bool
	cors        []string
	gqlDepth    int
	gqlCost     int
	gqlIntro    bool
	backupCron  string
	backupKeep  int
}

// MaintenanceMode reports whether writes of non-admins are paused.
func (s *Snapshot) MaintenanceMode() bool { return s.maintenance }

// APIRateLimit is requests per minute per client; 0 is no limit.
func (s *Snapshot) APIRateLimit() int { return s.rateLimit }

// TrustForwardedFor reports whether the rate limit believes X-Forwarded-For.
func (s *Snapshot) TrustForwardedFor() bool { return s.trustXFF }

// WebhookPrivateTargets reports whether webhooks may call internal addresses.
func (s *Snapshot) WebhookPrivateTargets() bool { return s.hookPrivate }

// MaxFileSize is the largest file upload in bytes.
func (s *Snapshot) MaxFileSize() int64 { return s.maxFileSize }

// AllowedFileTypes are the media types (or "type/*" families) an upload
// may have; empty allows every type. The slice is shared: do not change it.
func (s *Snapshot) AllowedFileTypes() []string { return s.fileTypes }

// EventsRetention is how long record events are kept.
func (s *Snapshot) EventsRetention() time.Duration { return s.retention }

// SMTP is the mail server to send through (LogBodies stays false: it is
// start-up configuration).
func (s *Snapshot) SMTP() config.SMTP { return s.smtp }

// AccessTokenTTL is the lifetime of an access token issued now.
func (s *Snapshot) AccessTokenTTL() time.Duration { return s.accessTTL }

// RefreshTokenTTL is the lifetime of a session from its sign-in or refresh.
func (s *Snapshot) RefreshTokenTTL() time.Duration { return s.refreshTTL }

// PasswordMinLength is the fewest characters a new password may have.
func (s *Snapshot) PasswordMinLength() int { return s.passwordMin }

// PasswordLetterAndDigit reports whether a new password needs both.
func (s *Snapshot) PasswordLetterAndDigit() bool { return s.passwordMix }

// CORSOrigins are the origins allowed to call the API from a browser, "*"
// for any without credentials. The slice is shared: do not change it.
func (s *Snapshot) CORSOrigins() []string { return s.cors }

// GraphQLMaxDepth is the deepest nesting one operation may ask for.
func (s *Snapshot) GraphQLMaxDepth() int { return s.gqlDepth }

// GraphQLMaxComplexity is the cost limit of one operation.
func (s *Snapshot) GraphQLMaxComplexity() int { return s.gqlCost }

// GraphQLIntrospection reports whether clients may read the schema.
func (s *Snapshot) GraphQLIntrospection() bool { return s.gqlIntro }

// BackupSchedule is the cron expression of scheduled backups; "" is none.
func (s *Snapshot) BackupSchedule() string { return s.backupCron }

// BackupRetention is how many scheduled backups to keep.
func (s *Snapshot) BackupRetention() int { return s.backupKeep }

// inCategory lists the entries of category ("" for all) by key.
func (s *Snapshot) inCategory(category string) []Entry {
	var out []Entry
	for _, e := range s.entries {
		if category == "" || e.Category == category {
			out = append(out, *e)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

// Initial is a known key's value before any stored one: from the
// configuration (an environment variable or its default). Pinned means the
// environment variable was set explicitly: it then wins over a stored
// value, and the key cannot be set through the API.
type Initial struct {
	Value  any // as Kind decodes it, or a time.Duration for a Duration
	Pinned bool
}

// build makes a snapshot from the known keys' initial values (over their
// defaults) and the stored rows (which win, but not over a pinned value).
// typed holds the decoded value of each known key, for the accessors;
// invalid reports a value that is not one of its key's kind, which is left
// out.
func build(initial map[string]Initial, rows []storedRow, invalid func(key, why string)) *Snapshot {
	s := &Snapshot{entries: map[string]*Entry{}}
	typed := map[string]any{}
	for _, d := range Defs {
		v, source := d.Default, SourceDefault
		if in, ok := initial[d.Key]; ok {
			v = in.Value
			if in.Pinned {
				source = SourceEnvironment
			}
		}
		switch t := v.(type) {
		case time.Duration:
			v = formatDuration(t)
		case []string:
			v = append([]string{}, t...) // nil is an empty list, not null
		}
		raw, _ := json.Marshal(v)
		if _, why := d.check(raw); why != "" {
			invalid(d.Key, why)
			raw, _ = json.Marshal(d.Default)
		}
		typed[d.Key], _ = d.check(raw)
		s.entries[d.Key] = &Entry{Key: d.Key, Category: d.Category, Description: d.Description, Value: raw, Source: source, Secret: d.Secret}
	}
	for _, r := range rows {
		e := &Entry{Key: r.Key, Category: r.Category, Description: r.Description, Value: json.RawMessage(r.Value), Source: SourceDatabase, Secret: IsSecret(r.Key)}
		if d, ok := Lookup(r.Key); ok {
			if initial[d.Key].Pinned {
				continue
			}
			v, why := d.check(e.Value)
			if why != "" {
				invalid(r.Key, why)
				continue
			}
			typed[d.Key] = v
			e.Category = d.Category
			if e.Description == "" {
				e.Description = d.Description
			}
		}
		s.entries[r.Key] = e
	}
	s.readOAuth(typed)
	s.maintenance, _ = typed[KeyMaintenanceMode].(bool)
	s.rateLimit = int(typed[KeyAPIRateLimit].(int64))
	s.trustXFF, _ = typed[KeyTrustForwarded].(bool)
	s.hookPrivate, _ = typed[KeyWebhookPrivate].(bool)
	s.maxFileSize, _ = typed[KeyMaxFileSize].(int64)
	s.fileTypes, _ = typed[KeyAllowedTypes].([]string)
	s.retention, _ = typed[KeyEventsRetention].(time.Duration)
	s.smtp = config.SMTP{Host: typed[KeySMTPHost].(string), Port: int(typed[KeySMTPPort].(int64)), Username: typed[KeySMTPUsername].(string),
		Password: typed[KeySMTPPassword].(string), From: typed[KeySMTPFrom].(string)}
	s.accessTTL, _ = typed[KeyAccessTokenTTL].(time.Duration)
	s.refreshTTL, _ = typed[KeyRefreshTokenTTL].(time.Duration)
	s.passwordMin = int(typed[KeyPasswordMinLength].(int64))
	s.passwordMix, _ = typed[KeyPasswordMix].(bool)
	s.cors, _ = typed[KeyCORSOrigins].([]string)
	s.gqlDepth = int(typed[KeyGraphQLDepth].(int64))
	s.gqlCost = int(typed[KeyGraphQLComplexity].(int64))
	s.gqlIntro, _ = typed[KeyIntrospection].(bool)
	s.backupCron, _ = typed[KeyBackupSchedule].(string)
	keep, _ := typed[KeyBackupRetention].(int64)
	s.backupKeep = int(keep)
	return s
}
