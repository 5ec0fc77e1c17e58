// Package settings is the application configuration admins change at run
// time: a settings table, and on every instance a snapshot of it that
// follows PostgreSQL NOTIFY, so a change applies everywhere within a second
// while requests read the snapshot and never the database.
package settings

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/uptrace/bun"

	"fastcms/internal/apierr"
	"fastcms/internal/auth"
	"fastcms/internal/notify"
)

// notifyChannel carries the key of a setting that changed.
const notifyChannel = "fastcms_settings"

// NotifyChannel is notifyChannel for a restore (internal/backups), which
// notifies it with an empty payload so every instance reloads everything.
const NotifyChannel = notifyChannel

// Service reads and writes settings; every method checks for an admin.
type Service struct {
	db      *bun.DB
	log     *slog.Logger
	initial map[string]Initial

	snap      atomic.Pointer[Snapshot]
	mu        sync.Mutex // serialises reloads
	listeners []func()
}

// OnReload calls fn after every new snapshot, for the parts that act on a
// change rather than read the snapshot at each use (the event log's
// pruning). Call it before requests arrive.
func (s *Service) OnReload(fn func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.listeners = append(s.listeners, fn)
}

// New loads the settings and follows changes announced on hub. initial
// holds the values the configuration gives known keys (see Initial); they
// win over the built-in defaults, a stored value wins over both, and a
// pinned one (set explicitly in the environment) over everything.
func New(ctx context.Context, db *bun.DB, hub *notify.Hub, log *slog.Logger, initial map[string]Initial) (*Service, error) {
	s := &Service{db: db, log: log, initial: initial}
	if err := s.Reload(ctx); err != nil {
		return nil, err
	}
	reload := func() {
		if err := s.Reload(context.Background()); err != nil {
			log.Error("reloading settings", "err", err)
		}
	}
	if _, err := hub.Subscribe(notifyChannel, func(string) { reload() }); err != nil {
		return nil, err
	}
	hub.OnReconnect(reload)
	return s, nil
}

// Current is the latest snapshot.
func (s *Service) Current() *Snapshot { return s.snap.Load() }

type storedRow struct {
	Key         string
	Category    string
	Value       string
	Description string
}

// Reload reads the settings table and publishes a new snapshot.
func (s *Service) Reload(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var rows []storedRow
	if err := s.db.NewRaw(`SELECT key, category, value::text AS value, description FROM settings`).Scan(ctx, &rows); err != nil {
		return err
	}
	s.snap.Store(build(s.initial, rows, func(key, why string) {
		s.log.Error("setting value ignored", "key", key, "err", why)
	}))
	for _, fn := range s.listeners {
		fn()
	}
	return nil
}

// List returns the settings of category ("" for all), secrets without
// their values.
func (s *Service) List(ctx context.Context, category string) ([]Entry, error) {
	if _, err := auth.RequireAdmin(ctx); err != nil {
		return nil, err
	}
	if category != "" && !slices.Contains(Categories, category) {
		return nil, apierr.NotFound("no settings category %q (categories: app, email, security, storage, custom)", category)
	}
	out := s.Current().inCategory(category)
	for i := range out {
		if out[i].Secret {
			out[i].Value = nil
		}
	}
	return out, nil
}

// Input is an upsert: Value is required JSON; Category and Description
// are optional (nil keeps a stored description).
type Input struct {
	Key         string
	Value       json.RawMessage
	Category    *string
	Description *string
}

// Set stores a setting and announces it to every instance; this one has
// applied it when Set returns.
func (s *Service) Set(ctx context.Context, in Input) (Entry, error) {
	if _, err := auth.RequireAdmin(ctx); err != nil {
		return Entry{}, err
	}
	category, err := validate(in)
	if err != nil {
		return Entry{}, err
	}
	if s.initial[in.Key].Pinned {
		d, _ := Lookup(in.Key)
		return Entry{}, apierr.Conflict("%s is set by the environment variable %s, which wins over a stored value: change it there", in.Key, d.Env)
	}
	var desc any
	if in.Description != nil {
		desc = *in.Description
	}
	err = s.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO settings (key, category, value, description, updated)
			VALUES (?, ?, ?::jsonb, COALESCE(?::text, ''), ?)
			ON CONFLICT (key) DO UPDATE SET category = EXCLUDED.category, value = EXCLUDED.value,
				description = COALESCE(?::text, settings.description), updated = EXCLUDED.updated`,
			in.Key, category, string(in.Value), desc, time.Now(), desc); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, "SELECT pg_notify(?, ?)", notifyChannel, in.Key)
		return err
	})
	if err != nil {
		return Entry{}, err
	}
	if err := s.Reload(ctx); err != nil {
		return Entry{}, err
	}
	e := *s.Current().entries[in.Key]
	if e.Secret {
		e.Value = nil
	}
	return e, nil
}

// validate checks an upsert and returns the category it is stored under.
func validate(in Input) (string, error) {
	if !keyPattern.MatchString(in.Key) {
		return "", apierr.InvalidField("key", "must be 1 to 63 lower-case letters, digits and underscores, starting with a letter")
	}
	if len(in.Value) == 0 {
		return "", apierr.InvalidField("value", "is required")
	}
	// PostgreSQL's jsonb and text cannot hold NUL characters.
	if bytes.Contains(in.Value, []byte(`\u0000`)) {
		return "", apierr.InvalidField("value", "must not contain NUL characters")
	}
	if in.Description != nil && (strings.ContainsRune(*in.Description, 0) || utf8.RuneCountInString(*in.Description) > 1000) {
		return "", apierr.InvalidField("description", "must be at most 1000 characters, without NUL characters")
	}
	d, known := Lookup(in.Key)
	if !known {
		if in.Category != nil && *in.Category != Custom {
			return "", apierr.InvalidField("category", "a key the server does not know belongs to custom")
		}
		return Custom, nil
	}
	if in.Category != nil && *in.Category != d.Category {
		return "", apierr.InvalidField("category", in.Key+" belongs to "+d.Category)
	}
	if _, why := d.check(in.Value); why != "" {
		return "", apierr.InvalidField(in.Key, why)
	}
	return d.Category, nil
}

// Delete removes a stored setting; a known key goes back to its
// environment or default value.
func (s *Service) Delete(ctx context.Context, key string) error {
	if _, err := auth.RequireAdmin(ctx); err != nil {
		return err
	}
	if !keyPattern.MatchString(key) {
		return apierr.NotFound("setting %q is not stored", key)
	}
	var deleted bool
	err := s.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM settings WHERE key = ?`, key)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil || n == 0 {
			return err
		}
		deleted = true
		_, err = tx.ExecContext(ctx, "SELECT pg_notify(?, ?)", notifyChannel, key)
		return err
	})
	if err != nil {
		return err
	}
	if !deleted {
		return apierr.NotFound("setting %q is not stored", key)
	}
	return s.Reload(ctx)
}
