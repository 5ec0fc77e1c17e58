package webhooks

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Sending. Workers on every instance claim due deliveries with FOR UPDATE
// SKIP LOCKED and a lease (lease_until), send outside any transaction and
// record the outcome only if the lease is still theirs (attempts is the
// fencing token). A server that dies mid-send leaves its lease to expire,
// and the delivery is sent again: at least once.
//
// Order: a delivery is claimed only when no earlier event of the same
// webhook is still pending, so a later event never overtakes an earlier one
// being retried, and one webhook has at most one request in flight. The
// price is head-of-line blocking: a receiver that keeps failing holds its
// webhook's later deliveries until the failing one is dead (retry_count
// retries), and each webhook delivers one request at a time. Other
// webhooks are not held up.

const (
	// workPoll is how often an idle worker looks for due deliveries it was
	// not woken for: retries scheduled by another instance, leases run out.
	// New deliveries wake every instance's workers by NOTIFY, and a retry
	// wakes its own instance's when due.
	workPoll = time.Second
	// maxResponse is how much of an answer's body the log keeps.
	maxResponse = 1024
	// maxRetryAfter bounds how long a receiver's Retry-After may hold a delivery.
	maxRetryAfter = time.Hour
	// disableAfter dead deliveries in a row disable a webhook.
	disableAfter = 5
	// UserAgent names the product to receivers.
	UserAgent = "FastCMS-Webhooks/1"
)

// claimed is a delivery a worker holds the lease of.
type claimed struct {
	id, webhookID, url, secret string
	body                       []byte
	attempts, retryCount       int
}

func (s *Service) workLoop(ctx context.Context) {
	defer s.wg.Done()
	for {
		d, err := s.claim(ctx)
		if err != nil && ctx.Err() == nil {
			s.log.Error("webhooks: claiming a delivery", "err", err)
		}
		if d != nil {
			s.deliver(ctx, d)
			continue
		}
		if !sleep(ctx, s.workWake, workPoll) {
			return
		}
	}
}

// claim leases the next due delivery whose webhook is enabled and has no
// earlier pending delivery; nil when there is none.
func (s *Service) claim(ctx context.Context) (*claimed, error) {
	// The lease outlives an attempt (bounded by Timeout) and the writing of
	// its outcome, so it runs out only when the worker died.
	lease := (2*s.opts.Timeout + time.Second).Seconds()
	var d claimed
	err := s.db.QueryRowContext(ctx, `WITH c AS (
			SELECT d.id FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id AND w.enabled
			WHERE d.status = 'pending' AND d.next_attempt_at <= now()
			  AND (d.lease_until IS NULL OR d.lease_until < now())
			  AND NOT EXISTS (SELECT 1 FROM webhook_deliveries e
			                  WHERE e.webhook_id = d.webhook_id AND e.status = 'pending' AND e.event_seq < d.event_seq)
			ORDER BY d.next_attempt_at, d.event_seq LIMIT 1
			FOR UPDATE OF d SKIP LOCKED)
		UPDATE webhook_deliveries d SET lease_until = now() + make_interval(secs => $1), attempts = d.attempts + 1, updated = now()
		FROM c, webhooks w WHERE d.id = c.id AND w.id = d.webhook_id
		RETURNING d.id, d.webhook_id, w.url, w.secret, d.body, d.attempts, w.retry_count`, lease).
		Scan(&d.id, &d.webhookID, &d.url, &d.secret, &d.body, &d.attempts, &d.retryCount)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &d, nil
}

// outcome is what one attempt came to.
type outcome struct {
	status     *int
	err        string
	response   string
	retry      bool          // worth another attempt
	retryAfter time.Duration // the receiver's Retry-After, if any
}

func (s *Service) deliver(ctx context.Context, d *claimed) {
	o := s.send(ctx, d)
	if ctx.Err() != nil {
		// Shutting down: give the delivery back for the next claim.
		rctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if _, err := s.db.ExecContext(rctx, `UPDATE webhook_deliveries SET lease_until = NULL, attempts = attempts - 1
			WHERE id = $1 AND attempts = $2`, d.id, d.attempts); err != nil {
			s.log.Warn("webhooks: releasing a delivery", "delivery", d.id, "err", err)
		}
		return
	}
	status, delay := "succeeded", time.Duration(0)
	switch {
	case o.status != nil && *o.status >= 200 && *o.status < 300:
	case !o.retry:
		status = "failed"
	case d.attempts > d.retryCount:
		status = "dead"
	default:
		status, delay = "pending", max(s.backoff(d.attempts), min(o.retryAfter, maxRetryAfter))
	}
	if err := s.record(ctx, d, status, delay, o); err != nil && ctx.Err() == nil {
		s.log.Error("webhooks: recording a delivery", "delivery", d.id, "err", err)
	}
	if status == "pending" {
		// Wake a worker when the retry is due, rather than on the next poll.
		time.AfterFunc(delay, s.wakeWorkers)
	} else {
		s.wakeWorkers() // the webhook's next delivery may go now
	}
}

// record writes the outcome of an attempt, if the lease is still ours
// (else another worker took over when it ran out), in one statement: a
// success clears the webhook's run of dead deliveries, a dead delivery
// adds to it and disables the webhook at disableAfter.
func (s *Service) record(ctx context.Context, d *claimed, status string, delay time.Duration, o outcome) error {
	_, err := s.db.ExecContext(ctx, `WITH d AS (
			UPDATE webhook_deliveries SET status = $3, lease_until = NULL, next_attempt_at = now() + make_interval(secs => $4),
				last_status = $5, last_error = $6, last_response = $7, updated = now()
			WHERE id = $1 AND attempts = $2 RETURNING webhook_id)
		UPDATE webhooks w SET failures = CASE WHEN $3 = 'dead' THEN w.failures + 1 ELSE 0 END,
			enabled = w.enabled AND ($3 <> 'dead' OR w.failures + 1 < $8),
			updated = CASE WHEN $3 = 'dead' THEN now() ELSE w.updated END
		FROM d WHERE w.id = d.webhook_id AND ($3 = 'dead' OR ($3 = 'succeeded' AND w.failures <> 0))`,
		d.id, d.attempts, status, delay.Seconds(), o.status, o.err, o.response, disableAfter)
	return err
}

// send makes one attempt.
func (s *Service) send(ctx context.Context, d *claimed) outcome {
	ctx, cancel := context.WithTimeout(ctx, s.opts.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.url, bytes.NewReader(d.body))
	if err != nil {
		return outcome{err: err.Error()}
	}
	mac := hmac.New(sha256.New, []byte(d.secret))
	mac.Write(d.body)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", UserAgent)
	req.Header.Set("X-Webhook-Id", d.id)
	req.Header.Set("X-Webhook-Timestamp", strconv.FormatInt(time.Now().Unix(), 10))
	req.Header.Set("X-Webhook-Signature", hex.EncodeToString(mac.Sum(nil)))
	resp, err := s.client.Do(req)
	if err != nil {
		var blocked errBlocked
		return outcome{err: err.Error(), retry: !errors.As(err, &blocked)}
	}
	defer resp.Body.Close()
	head, _ := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // lets the connection be reused
	code := resp.StatusCode
	return outcome{
		status:     &code,
		response:   strings.ReplaceAll(strings.ToValidUTF8(string(head), "\uFFFD"), "\x00", ""),
		retry:      code == http.StatusRequestTimeout || code == http.StatusTooManyRequests || code >= 500,
		retryAfter: retryAfter(resp.Header.Get("Retry-After")),
	}
}

// backoff is the wait after the n-th failed attempt, jittered by ±20% so
// receivers that failed together are not retried together.
func (s *Service) backoff(n int) time.Duration {
	d := s.opts.RetryDelays[min(n, len(s.opts.RetryDelays))-1]
	return time.Duration(float64(d) * (0.8 + 0.4*rand.Float64()))
}

// retryAfter reads a Retry-After header: seconds or an HTTP date.
func retryAfter(v string) time.Duration {
	if v == "" {
		return 0
	}
	if secs, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && secs > 0 {
		return time.Duration(secs) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return time.Until(t)
	}
	return 0
}
