package settings

import (
	"encoding/json"
	"sort"
)

// Where an entry's value comes from.
const (
	SourceDefault     = "default"
	SourceEnvironment = "environment"
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
	entries     map[string]*Entry
	maintenance bool
	rateLimit   int
	trustXFF    bool
	hookPrivate bool
	maxFileSize int64
	fileTypes   []string
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

// build makes a snapshot from the known keys' initial values (env wins over
// the default) and the stored rows (which win over both). typed holds the
// decoded value of each known key, for the accessors.
func build(env map[string]any, rows []storedRow, invalid func(key, why string)) *Snapshot {
	s := &Snapshot{entries: map[string]*Entry{}}
	typed := map[string]any{}
	for _, d := range Defs {
		v, source := d.Default, SourceDefault
		if ev, ok := env[d.Key]; ok {
			v, source = ev, SourceEnvironment
		}
		raw, _ := json.Marshal(v)
		typed[d.Key] = v
		s.entries[d.Key] = &Entry{Key: d.Key, Category: d.Category, Description: d.Description, Value: raw, Source: source, Secret: d.Secret}
	}
	for _, r := range rows {
		e := &Entry{Key: r.Key, Category: r.Category, Description: r.Description, Value: json.RawMessage(r.Value), Source: SourceDatabase, Secret: IsSecret(r.Key)}
		if d, ok := Lookup(r.Key); ok {
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
	s.maintenance, _ = typed[KeyMaintenanceMode].(bool)
	limit, _ := typed[KeyAPIRateLimit].(int64)
	s.rateLimit = int(limit)
	s.trustXFF, _ = typed[KeyTrustForwarded].(bool)
	s.hookPrivate, _ = typed[KeyWebhookPrivate].(bool)
	s.maxFileSize, _ = typed[KeyMaxFileSize].(int64)
	s.fileTypes, _ = typed[KeyAllowedTypes].([]string)
	s.backupCron, _ = typed[KeyBackupSchedule].(string)
	keep, _ := typed[KeyBackupRetention].(int64)
	s.backupKeep = int(keep)
	return s
}
