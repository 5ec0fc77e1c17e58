package collections

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/lib/pq"
	"github.com/uptrace/bun"

	"fastcms/internal/apierr"
	"fastcms/internal/auth"
	"fastcms/internal/opt"
	"fastcms/internal/page"
	"fastcms/internal/query"
)

// schemaLock serialises collection changes across instances, so each one
// validates against the set as it really is.
const schemaLock = 727_003

// Input is a collection definition, whole (create) or partial (update).
type Input struct {
	Name       opt.Value[string]         `json:"name"`
	Type       opt.Value[string]         `json:"type"`
	Schema     opt.Value[[]*Field]       `json:"schema"`
	ListRule   opt.Value[*string]        `json:"list_rule"`
	ViewRule   opt.Value[*string]        `json:"view_rule"`
	CreateRule opt.Value[*string]        `json:"create_rule"`
	UpdateRule opt.Value[*string]        `json:"update_rule"`
	DeleteRule opt.Value[*string]        `json:"delete_rule"`
	Options    opt.Value[map[string]any] `json:"options"`
}

// Service changes and reads collection definitions. Changes are admin-only;
// reading needs any signed-in user.
type Service struct {
	db       *bun.DB
	registry *Registry
	log      *slog.Logger
	opts     Options
}

// Options are the service's hooks.
type Options struct {
	// Check vets the snapshot a change would produce before it commits
	// (the GraphQL layer refuses names that would clash: graph.CheckSchema).
	Check func(*Snapshot) error
}

// NewService builds the service over the registry.
func NewService(db *bun.DB, registry *Registry, log *slog.Logger, opts Options) *Service {
	return &Service{db: db, registry: registry, log: log, opts: opts}
}

// Registry is the instance's collection registry.
func (s *Service) Registry() *Registry { return s.registry }

// List pages through the collections by name; non-admins read them
// redacted (see readable).
func (s *Service) List(ctx context.Context, req page.Request) (page.Result[*Collection], error) {
	p, err := auth.RequireUser(ctx)
	if err != nil {
		return page.Result[*Collection]{}, err
	}
	all := s.registry.Current().All()
	from := min(req.Offset(), len(all))
	to := min(from+req.PerPage, len(all))
	total := len(all)
	if req.SkipTotal {
		total = -1
	}
	items := make([]*Collection, 0, to-from)
	for _, c := range all[from:to] {
		items = append(items, readable(p, c))
	}
	return page.NewResult(items, total, req), nil
}

// Get returns a collection by name or id; non-admins read it redacted (see
// readable).
func (s *Service) Get(ctx context.Context, nameOrID string) (*Collection, error) {
	p, err := auth.RequireUser(ctx)
	if err != nil {
		return nil, err
	}
	c := s.registry.Current().Get(nameOrID)
	if c == nil {
		return nil, apierr.NotFound("collection %q not found", nameOrID)
	}
	return readable(p, c), nil
}

// Readable lists every collection as the caller may read it (see readable).
func (s *Service) Readable(ctx context.Context) ([]*Collection, error) {
	p, err := auth.RequireUser(ctx)
	if err != nil {
		return nil, err
	}
	all := s.registry.Current().All()
	out := make([]*Collection, len(all))
	for i, c := range all {
		out[i] = readable(p, c)
	}
	return out, nil
}

// readable is c as p may read it. Admins read it whole. Others read it
// without its rules (null) and hidden fields: rules and hidden names are a
// map of what to try, and a client needs neither to use the API.
func readable(p *auth.Principal, c *Collection) *Collection {
	if p.IsAdmin() {
		return c
	}
	r := *c
	r.ListRule, r.ViewRule, r.CreateRule, r.UpdateRule, r.DeleteRule = nil, nil, nil, nil, nil
	r.Fields = make([]*Field, 0, len(c.Fields))
	for _, f := range c.Fields {
		if !f.Hidden {
			r.Fields = append(r.Fields, f)
		}
	}
	return &r
}

// Create defines a collection and creates its table, in one transaction.
func (s *Service) Create(ctx context.Context, in Input) (*Collection, error) {
	if _, err := auth.RequireAdmin(ctx); err != nil {
		return nil, err
	}
	now := time.Now().UTC()
	c := &Collection{Type: "base", Options: map[string]any{}, Created: now, Updated: now}
	if !in.Name.Set {
		return nil, apierr.InvalidField("name", "is required")
	}
	var created *Collection
	err := s.change(ctx, func(tx bun.Tx, cur *Snapshot) ([]ddl, *Collection, error) {
		c.ID = newCollectionID()
		next, problems := apply(c, nil, in, cur)
		if err := invalid(problems); err != nil {
			return nil, nil, err
		}
		if cur.Get(next.Name) != nil || nameTakenCI(cur, next.Name, "") {
			return nil, nil, apierr.Conflict("a collection named %q already exists", next.Name)
		}
		created = next
		return createTableSQL(next, byIDIn(cur, next)), next, nil
	})
	return created, err
}

// Update changes a collection: name, fields (the full new list, matched by
// name or rename_from), rules and options. The table and the registry row
// change in one transaction, or not at all.
func (s *Service) Update(ctx context.Context, nameOrID string, in Input) (*Collection, error) {
	if _, err := auth.RequireAdmin(ctx); err != nil {
		return nil, err
	}
	var updated *Collection
	err := s.change(ctx, func(tx bun.Tx, cur *Snapshot) ([]ddl, *Collection, error) {
		old := cur.Get(nameOrID)
		if old == nil {
			return nil, nil, apierr.NotFound("collection %q not found", nameOrID)
		}
		next, problems := apply(old, old.Fields, in, cur)
		if err := invalid(problems); err != nil {
			return nil, nil, err
		}
		if next.Name != old.Name && nameTakenCI(cur, next.Name, old.ID) {
			return nil, nil, apierr.Conflict("a collection named %q already exists", next.Name)
		}
		stmts, problems := alterSQL(old, next, byIDIn(cur, next))
		if err := invalid(problems); err != nil {
			return nil, nil, err
		}
		next.Updated = time.Now().UTC()
		updated = next
		return stmts, next, nil
	})
	return updated, err
}

// Delete drops a collection and its table. A collection other collections
// point at cannot go: their relations would break.
func (s *Service) Delete(ctx context.Context, nameOrID string) error {
	if _, err := auth.RequireAdmin(ctx); err != nil {
		return err
	}
	return s.changeTx(ctx, func(tx bun.Tx, cur *Snapshot) error {
		c := cur.Get(nameOrID)
		if c == nil {
			return apierr.NotFound("collection %q not found", nameOrID)
		}
		for _, other := range cur.All() {
			for _, f := range other.Fields {
				if other.ID != c.ID && f.Relation != nil && f.Relation.CollectionID == c.ID {
					return apierr.Conflict("collection %q is referenced by %s.%s", c.Name, other.Name, f.Name)
				}
			}
		}
		remaining := make([]*Collection, 0, len(cur.All()))
		for _, o := range cur.All() {
			if o.ID != c.ID {
				remaining = append(remaining, o)
			}
		}
		if s.opts.Check != nil {
			if err := s.opts.Check(newSnapshot(cur.Version+1, remaining)); err != nil {
				return err
			}
		}
		stmts := append([]ddl{{"DROP TABLE " + c.Table(), ""}}, relationTriggersSQL(remaining, byIDList(remaining))...)
		stmts = append(stmts, lifecycleTriggersSQL(remaining)...)
		if err := execAll(ctx, tx, stmts, c); err != nil {
			return err
		}
		_, err := tx.NewDelete().TableExpr("collections").Where("id = ?", c.ID).Exec(ctx)
		return err
	})
}

// change runs one collection change: fn computes the DDL and the new
// definition from the current set; change applies both, rebuilds the
// relation triggers and announces the change, all in one transaction.
func (s *Service) change(ctx context.Context, fn func(tx bun.Tx, cur *Snapshot) ([]ddl, *Collection, error)) error {
	return s.changeTx(ctx, func(tx bun.Tx, cur *Snapshot) error {
		stmts, next, err := fn(tx, cur)
		if err != nil {
			return err
		}
		all := replaced(cur.All(), next)
		if s.opts.Check != nil {
			if err := s.opts.Check(newSnapshot(cur.Version+1, all)); err != nil {
				return err
			}
		}
		stmts = append(stmts, relationTriggersSQL(all, byIDList(all))...)
		stmts = append(stmts, lifecycleTriggersSQL(all)...)
		if err := execAll(ctx, tx, stmts, next); err != nil {
			return err
		}
		row, err := toRow(next)
		if err != nil {
			return err
		}
		_, err = tx.NewInsert().Model(row).On("CONFLICT (id) DO UPDATE").
			Set("name = EXCLUDED.name, type = EXCLUDED.type, schema = EXCLUDED.schema, list_rule = EXCLUDED.list_rule").
			Set("view_rule = EXCLUDED.view_rule, create_rule = EXCLUDED.create_rule, update_rule = EXCLUDED.update_rule").
			Set("delete_rule = EXCLUDED.delete_rule, options = EXCLUDED.options, updated = EXCLUDED.updated").
			Exec(ctx)
		return err
	})
}

func (s *Service) changeTx(ctx context.Context, fn func(tx bun.Tx, cur *Snapshot) error) error {
	err := s.db.RunInTx(ctx, &sql.TxOptions{}, func(ctx context.Context, tx bun.Tx) error {
		// DDL (an index over a big table, a retype) and the wait for the
		// lock may outlast STATEMENT_TIMEOUT; changes are admin-only.
		if _, err := tx.ExecContext(ctx, "SET LOCAL statement_timeout = 0"); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock(?)", schemaLock); err != nil {
			return err
		}
		list, err := loadAll(ctx, tx)
		if err != nil {
			return err
		}
		if err := fn(tx, newSnapshot(0, list)); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, "SELECT pg_notify(?, '')", notifyChannel)
		return err
	})
	if err != nil {
		return err
	}
	return s.registry.Reload(ctx)
}

// execAll runs DDL, turning the failures a definition can cause (duplicate
// values under a new unique index, values a conversion rejects, dangling
// relation ids) into client errors; the transaction then undoes it all.
func execAll(ctx context.Context, tx bun.Tx, stmts []ddl, c *Collection) error {
	for _, stmt := range stmts {
		if _, err := tx.Tx.ExecContext(ctx, stmt.sql); err != nil {
			return ddlError(err, c, stmt.field)
		}
	}
	return nil
}

func ddlError(err error, c *Collection, field string) error {
	var pqErr *pq.Error
	if !errors.As(err, &pqErr) {
		return err
	}
	switch pqErr.Code {
	case "23505":
		return apierr.Conflict("field %q has duplicate values, so it cannot be unique", field)
	case "23503":
		return apierr.InvalidField(field, "existing values point at records that do not exist")
	case "22P02", "22003", "22007", "22008":
		return apierr.InvalidField(field, "existing values cannot be converted: "+pqErr.Message)
	case "42P07":
		return apierr.Conflict("a table named %q already exists in the data schema", c.Name)
	}
	return fmt.Errorf("collection DDL: %w", err)
}

// apply computes the definition that in makes of base (a copy; base is
// shared by snapshots and never changed).
func apply(base *Collection, prevFields []*Field, in Input, cur *Snapshot) (*Collection, map[string]string) {
	c := *base
	problems := map[string]string{}
	if in.Name.Set {
		c.Name = strings.TrimSpace(in.Name.V)
	}
	if why := nameProblem(c.Name); why != "" {
		problems["name"] = why
	}
	if in.Type.Set {
		c.Type = in.Type.V
	}
	if c.Type != "base" {
		problems["type"] = "must be base (auth collections are not supported yet)"
	}
	if in.Schema.Set {
		c.Fields = in.Schema.V
		if c.Fields == nil {
			c.Fields = []*Field{}
		}
		for k, v := range checkFields(&c, c.Fields, prevFields, func(n string) *Collection { return cur.Get(n) }) {
			problems[k] = v
		}
	}
	for _, r := range []struct {
		in  opt.Value[*string]
		out **string
	}{{in.ListRule, &c.ListRule}, {in.ViewRule, &c.ViewRule}, {in.CreateRule, &c.CreateRule}, {in.UpdateRule, &c.UpdateRule}, {in.DeleteRule, &c.DeleteRule}} {
		if r.in.Set {
			*r.out = r.in.V
		}
	}
	if in.Options.Set {
		c.Options = in.Options.V
		if c.Options == nil {
			c.Options = map[string]any{}
		}
	}
	if len(problems) == 0 {
		checkRules(&c, cur, problems)
	}
	return &c, problems
}

// checkRules compiles each rule against the collection's fields, so a rule
// naming an unknown field is refused when written, not when a request fails.
func checkRules(c *Collection, cur *Snapshot, problems map[string]string) {
	snap := newSnapshot(0, replaced(cur.All(), c))
	fields := snap.RuleFields(snap.Get(c.ID))
	for name, rule := range map[string]*string{"list_rule": c.ListRule, "view_rule": c.ViewRule, "create_rule": c.CreateRule, "update_rule": c.UpdateRule, "delete_rule": c.DeleteRule} {
		if rule == nil || strings.TrimSpace(*rule) == "" {
			continue
		}
		expr, err := query.Parse(*rule)
		if err == nil {
			_, _, err = query.Compile(expr, fields, query.Options{Alias: "r", Request: query.Request{Auth: map[string]any{}, Data: map[string]any{}}})
		}
		if err != nil {
			problems[name] = err.Error()
		}
	}
}

func replaced(list []*Collection, c *Collection) []*Collection {
	out := make([]*Collection, 0, len(list)+1)
	for _, o := range list {
		if o.ID != c.ID {
			out = append(out, o)
		}
	}
	return append(out, c)
}

func byIDIn(cur *Snapshot, next *Collection) func(string) *Collection {
	return byIDList(replaced(cur.All(), next))
}

func byIDList(list []*Collection) func(string) *Collection {
	m := map[string]*Collection{}
	for _, c := range list {
		m[c.ID] = c
	}
	return func(id string) *Collection { return m[id] }
}

func nameTakenCI(cur *Snapshot, name, exceptID string) bool {
	for _, c := range cur.All() {
		if c.ID != exceptID && strings.EqualFold(c.Name, name) {
			return true
		}
	}
	return false
}

// newCollectionID is a random (version 4) UUID.
func newCollectionID() string {
	b := make([]byte, 16)
	rand.Read(b) //nolint:errcheck // crypto/rand never fails on supported platforms
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
