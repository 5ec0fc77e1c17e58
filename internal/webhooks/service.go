// Package webhooks calls admins' URLs when records change. Webhooks are
// rows (admin-only CRUD, this file); deliveries are derived from the event
// log by a dispatcher (dispatch.go) and sent by workers on every instance
// (worker.go), so nothing committed is missed and N instances send each
// delivery once in the normal case, at least once across crashes.
package webhooks

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/lib/pq"

	"fastcms/internal/apierr"
	"fastcms/internal/auth"
	"fastcms/internal/collections"
	"fastcms/internal/ids"
	"fastcms/internal/opt"
	"fastcms/internal/page"
	"fastcms/internal/query"
	"fastcms/internal/records"
)

// Ops a webhook may follow, in the order they are listed.
var allOps = []string{"create", "update", "delete"}

// opNames maps every accepted spelling to its op.
var opNames = map[string]string{
	"create": "create", "update": "update", "delete": "delete",
	"record.created": "create", "record.updated": "update", "record.deleted": "delete",
}

// Webhook is one registered callback. Secret is set only in the answer to
// its creation.
type Webhook struct {
	ID           string
	URL          string
	CollectionID string
	Collection   string // the collection's current name
	Events       []string
	Filter       string
	Secret       string
	RetryCount   int
	Enabled      bool
	Created      time.Time
	Updated      time.Time
}

// Input is a webhook, whole (create) or partial (update).
type Input struct {
	URL        opt.Value[string]   `json:"url"`
	Collection opt.Value[string]   `json:"collection_name"`
	Events     opt.Value[[]string] `json:"events"`
	Filter     opt.Value[string]   `json:"filter"`
	Secret     opt.Value[string]   `json:"secret"`
	RetryCount opt.Value[int]      `json:"retry_count"`
	Enabled    opt.Value[bool]     `json:"enabled"`
}

// DefaultRetryCount is the retries of a webhook created without retry_count.
const DefaultRetryCount = 5

const webhookCols = `id, url, collection_id, events, filter, retry_count, enabled, created, updated`

func (s *Service) scanWebhook(row interface{ Scan(...any) error }) (*Webhook, error) {
	var w Webhook
	if err := row.Scan(&w.ID, &w.URL, &w.CollectionID, pq.Array(&w.Events), &w.Filter, &w.RetryCount, &w.Enabled, &w.Created, &w.Updated); err != nil {
		return nil, err
	}
	if c := s.registry.Current().Get(w.CollectionID); c != nil {
		w.Collection = c.Name
	}
	return &w, nil
}

// Create registers a webhook; the answer holds its secret, generated when
// none is given, and never shown again.
func (s *Service) Create(ctx context.Context, in Input) (*Webhook, error) {
	if _, err := auth.RequireAdmin(ctx); err != nil {
		return nil, err
	}
	w := &Webhook{Events: allOps, RetryCount: DefaultRetryCount, Enabled: true}
	for _, f := range []struct {
		name string
		set  bool
	}{{"url", in.URL.Set}, {"collection_name", in.Collection.Set}} {
		if !f.set {
			return nil, apierr.InvalidField(f.name, "is required")
		}
	}
	if !in.Secret.Set || in.Secret.V == "" {
		in.Secret = opt.Some(newSecret())
	}
	if err := s.apply(w, in); err != nil {
		return nil, err
	}
	err := s.db.QueryRowContext(ctx, `INSERT INTO webhooks (url, collection_id, events, filter, secret, retry_count, enabled)
		VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id, created, updated`,
		w.URL, w.CollectionID, pq.Array(w.Events), w.Filter, w.Secret, w.RetryCount, w.Enabled).Scan(&w.ID, &w.Created, &w.Updated)
	if err != nil {
		return nil, err
	}
	return w, nil
}

// apply validates in onto w, naming each bad field.
func (s *Service) apply(w *Webhook, in Input) error {
	problems := map[string]string{}
	if in.URL.Set {
		if why := checkURL(in.URL.V); why != "" {
			problems["url"] = why
		}
		w.URL = in.URL.V
	}
	snap := s.registry.Current()
	if in.Collection.Set {
		if c := snap.Get(in.Collection.V); c != nil && strings.EqualFold(c.Name, in.Collection.V) {
			w.CollectionID, w.Collection = c.ID, c.Name
		} else {
			problems["collection_name"] = fmt.Sprintf("no collection is named %q", in.Collection.V)
		}
	}
	if in.Events.Set {
		ops, why := normalOps(in.Events.V)
		if why != "" {
			problems["events"] = why
		}
		w.Events = ops
	}
	if in.Secret.Set {
		if len(in.Secret.V) > 256 || in.Secret.V == "" {
			problems["secret"] = "must be 1 to 256 characters"
		}
		w.Secret = in.Secret.V
	}
	if in.RetryCount.Set {
		if in.RetryCount.V < 0 || in.RetryCount.V > 10 {
			problems["retry_count"] = "must be between 0 and 10"
		}
		w.RetryCount = in.RetryCount.V
	}
	if in.Enabled.Set {
		w.Enabled = in.Enabled.V
	}
	if in.Filter.Set {
		w.Filter = strings.TrimSpace(in.Filter.V)
	}
	if c := snap.Get(w.CollectionID); c != nil && w.Filter != "" {
		if _, err := parseFilter(w.Filter, snap, c); err != nil {
			problems["filter"] = err.Error()
		}
	}
	if len(problems) > 0 {
		return apierr.Invalid(problems)
	}
	return nil
}

// parseFilter reads a filter and checks it against the collection's fields
// as rules see them. It may not reach through relations: an event carries
// its record only, and the filter is evaluated in memory.
func parseFilter(src string, snap *collections.Snapshot, c *collections.Collection) (query.Expr, error) {
	expr, err := query.Parse(src)
	if err != nil {
		return nil, err
	}
	if records.ReadsRelated(expr) {
		return nil, errors.New("may not read related records (an event carries its own record only)")
	}
	if _, err := query.Eval(expr, snap.RuleFields(c), map[string]any{}, query.Options{}); err != nil {
		return nil, err
	}
	return expr, nil
}

// checkURL accepts absolute http and https URLs. Where they may point is
// checked when connecting (see guard.go), so DNS cannot change the answer.
func checkURL(raw string) string {
	u, err := url.Parse(raw)
	switch {
	case len(raw) > 2048:
		return "must be at most 2048 characters"
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Hostname() == "":
		return "must be an absolute http or https URL"
	case u.User != nil:
		return "must not hold credentials"
	}
	return ""
}

// normalOps turns the events given into a sorted set of ops.
func normalOps(in []string) ([]string, string) {
	if len(in) == 0 {
		return nil, "must name at least one of create, update, delete (or *)"
	}
	set := map[string]bool{}
	for _, e := range in {
		if e == "*" {
			return allOps, ""
		}
		op, ok := opNames[strings.ToLower(strings.TrimSpace(e))]
		if !ok {
			return nil, fmt.Sprintf("%q is not one of create, update, delete, record.created, record.updated, record.deleted, *", e)
		}
		set[op] = true
	}
	var out []string
	for _, op := range allOps {
		if set[op] {
			out = append(out, op)
		}
	}
	return out, ""
}

func newSecret() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// List pages through the webhooks, oldest first.
func (s *Service) List(ctx context.Context, req page.Request) (page.Result[Webhook], error) {
	if _, err := auth.RequireAdmin(ctx); err != nil {
		return page.Result[Webhook]{}, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+webhookCols+` FROM webhooks ORDER BY created, id LIMIT $1 OFFSET $2`, req.PerPage, req.Offset())
	if err != nil {
		return page.Result[Webhook]{}, err
	}
	defer rows.Close()
	items := []Webhook{}
	for rows.Next() {
		w, err := s.scanWebhook(rows)
		if err != nil {
			return page.Result[Webhook]{}, err
		}
		items = append(items, *w)
	}
	if err := rows.Err(); err != nil {
		return page.Result[Webhook]{}, err
	}
	total := -1
	if !req.SkipTotal {
		if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM webhooks`).Scan(&total); err != nil {
			return page.Result[Webhook]{}, err
		}
	}
	return page.NewResult(items, total, req), nil
}

// Get reads one webhook (without its secret).
func (s *Service) Get(ctx context.Context, id string) (*Webhook, error) {
	if _, err := auth.RequireAdmin(ctx); err != nil {
		return nil, err
	}
	return s.get(ctx, s.db, id, false)
}

func (s *Service) get(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}, id string, lock bool) (*Webhook, error) {
	if !ids.IsUUID(id) {
		return nil, apierr.NotFound("webhook not found")
	}
	sqlText := `SELECT ` + webhookCols + ` FROM webhooks WHERE id = $1`
	if lock {
		sqlText += ` FOR UPDATE`
	}
	w, err := s.scanWebhook(q.QueryRowContext(ctx, sqlText, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, apierr.NotFound("webhook not found")
	}
	return w, err
}

// Update changes the fields given. Enabling a webhook also clears its run
// of dead deliveries, which had disabled it.
func (s *Service) Update(ctx context.Context, id string, in Input) (*Webhook, error) {
	if _, err := auth.RequireAdmin(ctx); err != nil {
		return nil, err
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	w, err := s.get(ctx, tx, id, true)
	if err != nil {
		return nil, err
	}
	if err := s.apply(w, in); err != nil {
		return nil, err
	}
	secret := sql.NullString{String: w.Secret, Valid: in.Secret.Set}
	err = tx.QueryRowContext(ctx, `UPDATE webhooks SET url = $2, collection_id = $3, events = $4, filter = $5,
		secret = coalesce($6, secret), retry_count = $7, enabled = $8,
		failures = CASE WHEN $8 AND NOT enabled THEN 0 ELSE failures END, updated = now()
		WHERE id = $1 RETURNING updated`,
		w.ID, w.URL, w.CollectionID, pq.Array(w.Events), w.Filter, secret, w.RetryCount, w.Enabled).Scan(&w.Updated)
	if err != nil {
		return nil, err
	}
	w.Secret = ""
	return w, tx.Commit()
}

// Delete removes a webhook and its delivery log.
func (s *Service) Delete(ctx context.Context, id string) error {
	if _, err := auth.RequireAdmin(ctx); err != nil {
		return err
	}
	if !ids.IsUUID(id) {
		return apierr.NotFound("webhook not found")
	}
	res, err := s.db.ExecContext(ctx, `DELETE FROM webhooks WHERE id = $1`, id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return apierr.NotFound("webhook not found")
	}
	return nil
}
