// Package records reads and writes the records of runtime collections. Each
// operation is one or a few parameterised statements on the collection's
// real table; records come back as JSON built by PostgreSQL, so REST and
// GraphQL can hand the bytes on without decoding them.
package records

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"

	"github.com/uptrace/bun"

	"fastcms/internal/apierr"
	"fastcms/internal/auth"
	"fastcms/internal/collections"
	"fastcms/internal/page"
)

// Service is the records service.
type Service struct {
	db       *sql.DB
	registry *collections.Registry
	// hot runs the one-record statements prepared (stmtcache.go).
	hot *stmtCache
	// creates combines concurrent creates (createbatch.go).
	creates createBatcher
	// totals remembers list totals while nothing changes (totals.go).
	totals totals
}

// New builds the service.
func New(db *bun.DB, registry *collections.Registry) *Service {
	return &Service{db: db.DB, registry: registry, hot: newStmtCache(db.DB, stmtCacheSize)}
}

// ListParams are the options of a list.
type ListParams struct {
	Page   page.Request
	Filter string
	Sort   string
	// Search is full-text search terms (websearch syntax); results are
	// ranked when no Sort is given.
	Search string
	// Fields limits "data" to these fields; nil means all.
	Fields []string
	// Expand lists relation paths ("author", "author.company",
	// "comments_via_post") to embed under "expand".
	Expand []string
}

// GetParams are the options of a get.
type GetParams struct {
	Fields []string
	Expand []string
}

// List is one page of records: Items is a JSON array of RecordResponse.
type List struct {
	Items json.RawMessage
	page.Result[struct{}]
}

// scopeFor resolves the collection and the caller.
func (s *Service) scopeFor(ctx context.Context, collection string, data map[string]any) (*scope, error) {
	snap := s.registry.Current()
	c := snap.Get(collection)
	if c == nil {
		return nil, apierr.NotFound("collection %q not found", collection)
	}
	return newScope(snap, c, auth.FromContext(ctx), data), nil
}

// readScope is scopeFor a read, with the data fields it shows (pick).
func (s *Service) readScope(ctx context.Context, collection string, fields []string) (*scope, []*collections.Field, error) {
	sc, err := s.scopeFor(ctx, collection, nil)
	if err != nil {
		return nil, nil, err
	}
	shown, err := sc.pick(fields)
	return sc, shown, err
}

// List returns one page of the records the caller may list, filtered and sorted.
func (s *Service) List(ctx context.Context, collection string, p ListParams) (*List, error) {
	sc, shown, err := s.readScope(ctx, collection, p.Fields)
	if err != nil {
		return nil, err
	}
	rows, err := sc.restRows(p)
	if err != nil {
		return nil, err
	}
	total := -1
	if !p.Page.SkipTotal {
		// The count is remembered until a write (totals.go).
		stmt, a, err := Render(sc.snap, sc.p, Op{Kind: ReadCount, Collection: sc.c.Name, Rows: rows})
		if err != nil {
			return nil, NamePlanError(err, restPartNames)
		}
		if stmt == "" {
			total = 0
		} else if total, err = s.count(ctx, sc.snap, stmt, a); err != nil {
			return nil, err
		}
	}
	tree, err := sc.expand(p.Expand, p.Page.PerPage)
	if err != nil {
		return nil, err
	}
	offset := p.Page.Offset()
	rows.Limit, rows.Offset = &p.Page.PerPage, &offset
	items, err := s.read(ctx, sc, Op{Kind: ReadList, Collection: sc.c.Name, Rows: rows, Members: restRecord(shown, tree)})
	if err != nil {
		return nil, err
	}
	return &List{Items: items, Result: page.NewResult[struct{}](nil, total, p.Page)}, nil
}

// read renders op for sc's caller over sc's snapshot and runs it.
func (s *Service) read(ctx context.Context, sc *scope, op Op) (json.RawMessage, error) {
	stmt, a, err := Render(sc.snap, sc.p, op)
	if err != nil || stmt == "" {
		return nil, NamePlanError(err, restPartNames)
	}
	// A record by id goes through the prepared statements (stmtcache.go).
	q := querier(s.db)
	if op.Kind == ReadByID {
		q = s.hot
	}
	var out []byte
	err = scanRow(ctx, q, stmt, a, &out)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return out, err
}

// Get returns one record the caller may view; one hidden by the view rule
// is a 404 like a missing one.
func (s *Service) Get(ctx context.Context, collection, id string, p GetParams) (json.RawMessage, error) {
	sc, shown, err := s.readScope(ctx, collection, p.Fields)
	if err != nil {
		return nil, err
	}
	if !collections.IsUUID(id) {
		return nil, notFound(sc.c)
	}
	_, err = sc.rule(&args{}, actView, sc.c.ViewRule)
	if apierr.IsForbidden(err) {
		return nil, notFound(sc.c) // an admin-only record is as unseen as a missing one
	}
	if err != nil {
		return nil, err
	}
	tree, err := sc.expand(p.Expand, 1)
	if err != nil {
		return nil, err
	}
	rec, err := s.read(ctx, sc, Op{Kind: ReadByID, Collection: sc.c.Name, ID: id, Members: restRecord(shown, tree)})
	if err == nil && rec == nil {
		return nil, notFound(sc.c)
	}
	return rec, err
}

func notFound(c *collections.Collection) error {
	return apierr.NotFound("record not found in %s", c.Name)
}

// pick resolves a fields= list against what the caller may see.
func (sc *scope) pick(names []string) ([]*collections.Field, error) {
	shown := sc.shown()
	if names == nil {
		return shown, nil
	}
	var out []*collections.Field
	for _, n := range names {
		switch n {
		case "*":
			return shown, nil
		case "id", "created", "updated":
			continue
		}
		f := sc.visible(n)
		if f == nil {
			return nil, apierr.BadRequest("fields: unknown field %q", n)
		}
		out = append(out, f)
	}
	return out, nil
}
