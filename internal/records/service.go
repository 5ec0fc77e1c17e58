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
	"strings"

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

// List returns one page of the records the caller may list, filtered and sorted.
func (s *Service) List(ctx context.Context, collection string, p ListParams) (*List, error) {
	sc, err := s.scopeFor(ctx, collection, nil)
	if err != nil {
		return nil, err
	}
	shown, err := sc.pick(p.Fields)
	if err != nil {
		return nil, err
	}
	var a args
	where, order, err := sc.listing(&a, p)
	if err != nil {
		return nil, err
	}
	from := " FROM " + sc.c.Table() + " " + alias + " WHERE " + where
	total := -1
	if !p.Page.SkipTotal {
		// Only the WHERE's parameters: an unused one would have no type.
		if total, err = s.count(ctx, sc.snap, "SELECT count(*)"+from, a.list); err != nil {
			return nil, err
		}
	}
	expand, err := sc.expand(&a, p.Expand, p.Page.PerPage)
	if err != nil {
		return nil, err
	}
	limit, offset := a.add(p.Page.PerPage), a.add(p.Page.Offset())
	rows, err := s.db.QueryContext(ctx, "SELECT "+recordJSON(shown, expand)+from+" ORDER BY "+order+" LIMIT "+limit+" OFFSET "+offset, a.list...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	items := []byte{'['}
	for rows.Next() {
		var rec []byte
		if err := rows.Scan(&rec); err != nil {
			return nil, err
		}
		if len(items) > 1 {
			items = append(items, ',')
		}
		items = append(items, rec...)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	items = append(items, ']')
	return &List{Items: items, Result: page.NewResult[struct{}](nil, total, p.Page)}, nil
}

// listing compiles what selects and orders a list for the caller: the list
// rule, filter and search as a WHERE condition, and the ORDER BY (ranked by
// search when no sort is given). List and the CSV export share it.
func (sc *scope) listing(a *args, p ListParams) (where, order string, err error) {
	rule, err := sc.rule(a, actList, sc.c.ListRule)
	if err != nil {
		return "", "", err
	}
	filter, err := sc.filter(a, p.Filter)
	if err != nil {
		return "", "", err
	}
	search, rank, err := sc.search(a, p.Search)
	if err != nil {
		return "", "", err
	}
	if order, err = orderBy(p.Sort, rank, sc.visible); err != nil {
		return "", "", err
	}
	return rule + " AND " + filter + " AND " + search, order, nil
}

// Get returns one record the caller may view; one hidden by the view rule
// is a 404 like a missing one.
func (s *Service) Get(ctx context.Context, collection, id string, p GetParams) (json.RawMessage, error) {
	sc, err := s.scopeFor(ctx, collection, nil)
	if err != nil {
		return nil, err
	}
	shown, err := sc.pick(p.Fields)
	if err != nil {
		return nil, err
	}
	if !collections.IsUUID(id) {
		return nil, notFound(sc.c)
	}
	var a args
	idArg := a.add(strings.ToLower(id))
	rule, err := sc.rule(&a, actView, sc.c.ViewRule)
	if apierr.IsForbidden(err) {
		return nil, notFound(sc.c) // an admin-only record is as unseen as a missing one
	}
	if err != nil {
		return nil, err
	}
	expand, err := sc.expand(&a, p.Expand, 1)
	if err != nil {
		return nil, err
	}
	var rec []byte
	err = scanRow(ctx, s.hot, "SELECT "+recordJSON(shown, expand)+" FROM "+sc.c.Table()+" "+alias+
		" WHERE "+col("id")+" = "+idArg+" AND "+rule, a.list, &rec)
	if errors.Is(err, sql.ErrNoRows) {
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
