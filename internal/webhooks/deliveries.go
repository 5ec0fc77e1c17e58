package webhooks

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"fastcms/internal/apierr"
	"fastcms/internal/auth"
	"fastcms/internal/ids"
	"fastcms/internal/page"
)

// Delivery is one event sent (or to be sent) to one webhook.
type Delivery struct {
	ID            string
	WebhookID     string
	EventSeq      int64
	Event         string // record.created, record.updated or record.deleted
	RecordID      string
	Status        string // pending, succeeded, failed (final answer) or dead (retries spent)
	Attempts      int
	NextAttemptAt *time.Time // only while pending
	LastStatus    *int
	LastError     string
	LastResponse  string // the start of the last answer's body
	Created       time.Time
	Updated       time.Time
}

const deliveryCols = `id, webhook_id, event_seq, event, record_id, status, attempts,
	CASE WHEN status = 'pending' THEN next_attempt_at END, last_status, last_error, last_response, created, updated`

func scanDelivery(row interface{ Scan(...any) error }) (*Delivery, error) {
	var d Delivery
	var next sql.NullTime
	var status sql.NullInt64
	if err := row.Scan(&d.ID, &d.WebhookID, &d.EventSeq, &d.Event, &d.RecordID, &d.Status, &d.Attempts,
		&next, &status, &d.LastError, &d.LastResponse, &d.Created, &d.Updated); err != nil {
		return nil, err
	}
	if next.Valid {
		d.NextAttemptAt = &next.Time
	}
	if status.Valid {
		n := int(status.Int64)
		d.LastStatus = &n
	}
	return &d, nil
}

// Deliveries pages through a webhook's delivery log, newest event first.
func (s *Service) Deliveries(ctx context.Context, webhookID string, req page.Request) (page.Result[Delivery], error) {
	if _, err := auth.RequireAdmin(ctx); err != nil {
		return page.Result[Delivery]{}, err
	}
	if _, err := s.get(ctx, s.db, webhookID, false); err != nil {
		return page.Result[Delivery]{}, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+deliveryCols+` FROM webhook_deliveries WHERE webhook_id = $1
		ORDER BY event_seq DESC LIMIT $2 OFFSET $3`, webhookID, req.PerPage, req.Offset())
	if err != nil {
		return page.Result[Delivery]{}, err
	}
	defer rows.Close()
	items := []Delivery{}
	for rows.Next() {
		d, err := scanDelivery(rows)
		if err != nil {
			return page.Result[Delivery]{}, err
		}
		items = append(items, *d)
	}
	if err := rows.Err(); err != nil {
		return page.Result[Delivery]{}, err
	}
	total := -1
	if !req.SkipTotal {
		if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM webhook_deliveries WHERE webhook_id = $1`, webhookID).Scan(&total); err != nil {
			return page.Result[Delivery]{}, err
		}
	}
	return page.NewResult(items, total, req), nil
}

// Redeliver queues a finished delivery again, at once, with a fresh count
// of attempts and the same id and body. A pending one is left as it is.
func (s *Service) Redeliver(ctx context.Context, webhookID, deliveryID string) (*Delivery, error) {
	if _, err := auth.RequireAdmin(ctx); err != nil {
		return nil, err
	}
	if !ids.IsUUID(webhookID) || !ids.IsUUID(deliveryID) {
		return nil, apierr.NotFound("delivery not found")
	}
	d, err := scanDelivery(s.db.QueryRowContext(ctx, `UPDATE webhook_deliveries SET
		status = 'pending', attempts = CASE WHEN status = 'pending' THEN attempts ELSE 0 END,
		next_attempt_at = CASE WHEN status = 'pending' THEN next_attempt_at ELSE now() END, updated = now()
		WHERE id = $1 AND webhook_id = $2 RETURNING `+deliveryCols, deliveryID, webhookID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, apierr.NotFound("delivery not found")
	}
	if err != nil {
		return nil, err
	}
	s.wakeWorkers()
	return d, nil
}
