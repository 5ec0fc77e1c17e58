package collections

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/uptrace/bun"

	"fastcms/dbmodel"
	"fastcms/internal/notify"
	"fastcms/internal/query"
)

// notifyChannel announces that the collection set changed.
const notifyChannel = "fastcms_collections"

// NotifyChannel is notifyChannel for a restore (internal/backups), which
// notifies it with an empty payload so every instance reloads everything.
const NotifyChannel = notifyChannel

// Snapshot is one immutable version of the collection set. Requests take
// one snapshot and use it throughout, so they never see half of a change.
type Snapshot struct {
	Version uint64
	list    []*Collection
	byName  map[string]*Collection
	byID    map[string]*Collection
	// views are the collections' view rules as relation Views for client
	// filters, parsed once per snapshot (see ClientFields).
	views map[string]*query.View
}

// Get finds a collection by exact name or by id.
func (s *Snapshot) Get(nameOrID string) *Collection {
	if c := s.byName[nameOrID]; c != nil {
		return c
	}
	return s.byID[nameOrID]
}

// All lists the collections by name.
func (s *Snapshot) All() []*Collection { return s.list }

// Registry is the in-memory collection set of this instance, reloaded
// whenever any instance changes it (PostgreSQL NOTIFY).
type Registry struct {
	db   *bun.DB
	log  *slog.Logger
	snap atomic.Pointer[Snapshot]

	mu        sync.Mutex // serialises reloads
	listeners []func(*Snapshot)
}

// NewRegistry loads the collections and follows changes announced on hub.
func NewRegistry(ctx context.Context, db *bun.DB, hub *notify.Hub, log *slog.Logger) (*Registry, error) {
	r := &Registry{db: db, log: log}
	if err := r.Reload(ctx); err != nil {
		return nil, err
	}
	reload := func() {
		if err := r.Reload(context.Background()); err != nil {
			log.Error("reloading collections", "err", err)
		}
	}
	if _, err := hub.Subscribe(notifyChannel, func(string) { reload() }); err != nil {
		return nil, err
	}
	hub.OnReconnect(reload)
	return r, nil
}

// Current is the latest snapshot.
func (r *Registry) Current() *Snapshot { return r.snap.Load() }

// OnChange calls fn with every new snapshot (the GraphQL schema follows it).
func (r *Registry) OnChange(fn func(*Snapshot)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.listeners = append(r.listeners, fn)
}

// Reload reads the collection set from the database and publishes it.
func (r *Registry) Reload(ctx context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	list, err := loadAll(ctx, r.db)
	if err != nil {
		return err
	}
	var version uint64 = 1
	if cur := r.snap.Load(); cur != nil {
		version = cur.Version + 1
	}
	s := newSnapshot(version, list)
	r.snap.Store(s)
	for _, fn := range r.listeners {
		fn(s)
	}
	return nil
}

// SnapshotOf is a snapshot of list alone, outside any registry: the API
// reference page builds the GraphQL operations of the collections a
// caller may read from their redacted definitions.
func SnapshotOf(list []*Collection) *Snapshot { return newSnapshot(0, slices.Clone(list)) }

func newSnapshot(version uint64, list []*Collection) *Snapshot {
	s := &Snapshot{Version: version, list: list, byName: map[string]*Collection{}, byID: map[string]*Collection{}}
	sort.Slice(list, func(i, j int) bool { return strings.ToLower(list[i].Name) < strings.ToLower(list[j].Name) })
	for _, c := range list {
		s.byName[c.Name] = c
		s.byID[c.ID] = c
	}
	s.views = make(map[string]*query.View, len(list))
	for _, c := range list {
		s.views[c.ID] = s.viewOf(c)
	}
	return s
}

func loadAll(ctx context.Context, db bun.IDB) ([]*Collection, error) {
	var rows []dbmodel.Collection
	if err := db.NewSelect().Model(&rows).Scan(ctx); err != nil {
		return nil, err
	}
	list := make([]*Collection, 0, len(rows))
	for i := range rows {
		c, err := fromRow(&rows[i])
		if err != nil {
			return nil, err
		}
		list = append(list, c)
	}
	// Relation targets are stored by id; fill in their current names. The
	// objects are fresh, so no snapshot shares them yet.
	byID := map[string]*Collection{}
	for _, c := range list {
		byID[c.ID] = c
	}
	for _, c := range list {
		for _, f := range c.Fields {
			if f.Relation != nil && byID[f.Relation.CollectionID] != nil {
				f.Relation.Collection = byID[f.Relation.CollectionID].Name
			}
		}
	}
	return list, nil
}

func fromRow(row *dbmodel.Collection) (*Collection, error) {
	c := &Collection{ID: row.ID, Name: row.Name, Type: row.Type, ListRule: row.ListRule, ViewRule: row.ViewRule,
		CreateRule: row.CreateRule, UpdateRule: row.UpdateRule, DeleteRule: row.DeleteRule, Created: row.Created, Updated: row.Updated}
	if err := json.Unmarshal(row.Schema, &c.Fields); err != nil {
		return nil, fmt.Errorf("collection %s: schema: %w", row.Name, err)
	}
	if err := json.Unmarshal(row.Options, &c.Options); err != nil {
		return nil, fmt.Errorf("collection %s: options: %w", row.Name, err)
	}
	if c.Options == nil {
		c.Options = map[string]any{}
	}
	return c, nil
}

func toRow(c *Collection) (*dbmodel.Collection, error) {
	fields := make([]Field, len(c.Fields))
	for i, f := range c.Fields {
		fields[i] = *f
		fields[i].RenameFrom = ""
		if f.Relation != nil {
			rel := *f.Relation
			rel.Collection = ""
			fields[i].Relation = &rel
		}
	}
	schema, err := json.Marshal(fields)
	if err != nil {
		return nil, err
	}
	options, err := json.Marshal(c.Options)
	if err != nil {
		return nil, err
	}
	return &dbmodel.Collection{ID: c.ID, Name: c.Name, Type: c.Type, Schema: schema, ListRule: c.ListRule, ViewRule: c.ViewRule,
		CreateRule: c.CreateRule, UpdateRule: c.UpdateRule, DeleteRule: c.DeleteRule, Options: options, Created: c.Created, Updated: c.Updated}, nil
}

// BackRelation resolves a back-relation name, <collection>_via_<field>:
// the collection other whose relation field f points at c. Collection
// names cannot hold "_via_", so the first one splits the name. Whether
// the caller may use f (a hidden field) is the caller's to check.
func (s *Snapshot) BackRelation(c *Collection, name string) (other *Collection, f *Field) {
	coll, field, ok := strings.Cut(name, "_via_")
	if !ok {
		return nil, nil
	}
	other = s.byName[coll]
	if other == nil {
		return nil, nil
	}
	f = other.Field(field)
	if f == nil || f.Relation == nil || f.Relation.CollectionID != c.ID {
		return nil, nil
	}
	return other, f
}
