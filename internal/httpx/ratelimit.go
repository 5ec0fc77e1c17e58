package httpx

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"fastcms/internal/apierr"
	"fastcms/internal/auth"
)

// rateMaxKeys bounds the limiter's memory; past it idle clients go first.
const rateMaxKeys = 100_000

// RateLimit is the api_rate_limit setting as the middleware reads it: the
// requests per minute per client (0 is no limit) and whether an anonymous
// client's address comes from X-Forwarded-For.
type RateLimit struct {
	PerMinute         int
	TrustForwardedFor bool
}

// RateLimiter counts requests per client in token buckets that hold a
// minute's worth and refill continuously. It lives in this instance's
// memory: N instances behind a balancer let a client make up to N times
// the limit (see README), in exchange for no database work per request.
type RateLimiter struct {
	current func() RateLimit
	now     func() time.Time

	mu      sync.Mutex
	buckets map[string]*rateBucket
}

type rateBucket struct {
	tokens float64
	at     time.Time
}

// NewRateLimiter reads the limit through current on every request, so a
// change of the setting applies to the next one.
func NewRateLimiter(current func() RateLimit, now func() time.Time) *RateLimiter {
	if now == nil {
		now = time.Now
	}
	return &RateLimiter{current: current, now: now, buckets: map[string]*rateBucket{}}
}

// rateVerdict is the outcome of one request: what is left and when the
// bucket is full again, or how long to wait for the next request.
type rateVerdict struct {
	remaining int
	reset     int // seconds until the bucket is full
	retry     int // seconds to wait; 0 when the request may go
}

// take spends one request of key under a limit of perMinute.
func (l *RateLimiter) take(key string, perMinute int) rateVerdict {
	rate := float64(perMinute) / 60
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	b := l.buckets[key]
	level := float64(perMinute)
	if b != nil {
		level = math.Min(level, b.tokens+now.Sub(b.at).Seconds()*rate)
	}
	if level < 1 {
		return rateVerdict{remaining: 0, reset: ceilSeconds((float64(perMinute) - level) / rate),
			retry: max(1, ceilSeconds((1-level)/rate))}
	}
	if b == nil {
		l.evict(now)
		b = &rateBucket{}
		l.buckets[key] = b
	}
	b.tokens, b.at = level-1, now
	return rateVerdict{remaining: int(b.tokens), reset: ceilSeconds((float64(perMinute) - b.tokens) / rate)}
}

func ceilSeconds(s float64) int { return int(math.Ceil(s)) }

// evict makes room when the limiter is full: buckets that would be full by
// now carry no state and go first; then a tenth of the rest, at random.
func (l *RateLimiter) evict(now time.Time) {
	if len(l.buckets) < rateMaxKeys {
		return
	}
	for k, b := range l.buckets {
		if now.Sub(b.at) >= time.Minute {
			delete(l.buckets, k)
		}
	}
	for k := range l.buckets {
		if len(l.buckets) < rateMaxKeys*9/10 {
			break
		}
		delete(l.buckets, k)
	}
}

// Wrap limits every request but health checks and CORS preflights, per
// signed-in user or else per client address. It must run inside WithAuth.
// Every response it lets through carries X-RateLimit-Limit, -Remaining and
// -Reset (seconds until the budget is whole again); a refused one is a 429
// with Retry-After, in the error envelope (GraphQL's errors shape at
// /graphql). A GraphQL request over HTTP is one operation (there is no
// batching); a websocket counts once at its upgrade, then each of its
// operations through AllowOperation.
func (l *RateLimiter) Wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		lim := l.current()
		if r.Header.Get("Upgrade") != "" {
			r = r.WithContext(context.WithValue(r.Context(), rateAddrKey{}, addrKey(r, lim.TrustForwardedFor)))
		}
		if lim.PerMinute <= 0 || r.Method == http.MethodOptions || r.URL.Path == "/health" || r.URL.Path == "/ready" {
			next.ServeHTTP(w, r)
			return
		}
		v := l.take(rateKey(r, lim.TrustForwardedFor), lim.PerMinute)
		h := w.Header()
		h.Set("X-RateLimit-Limit", strconv.Itoa(lim.PerMinute))
		h.Set("X-RateLimit-Remaining", strconv.Itoa(v.remaining))
		h.Set("X-RateLimit-Reset", strconv.Itoa(v.reset))
		if v.retry == 0 {
			next.ServeHTTP(w, r)
			return
		}
		h.Set("Retry-After", strconv.Itoa(v.retry))
		msg := fmt.Sprintf("rate limit of %d requests a minute reached; try again in %d seconds", lim.PerMinute, v.retry)
		if r.URL.Path == "/graphql" {
			h.Set("Content-Type", "application/json; charset=utf-8")
			w.WriteHeader(http.StatusTooManyRequests)
			json.NewEncoder(w).Encode(map[string]any{"errors": []any{map[string]any{ //nolint:errcheck // the client went away
				"message": msg, "extensions": map[string]any{"code": "TOO_MANY_REQUESTS", "retry_after": v.retry}}}})
			return
		}
		WriteError(w, r, tooMany(msg, v.retry))
	})
}

func tooMany(msg string, retry int) *apierr.Error {
	e := apierr.New(http.StatusTooManyRequests, "too many requests", "%s", msg)
	e.Details = map[string]any{"retry_after": retry}
	return e
}

// rateAddrKey holds a websocket's client address key, taken at its upgrade.
type rateAddrKey struct{}

// AllowOperation spends one request for an operation on a websocket whose
// upgrade went through Wrap: the signed-in user's (the socket's current
// credential, in ctx) or the address's budget. It returns a 429 error
// (retry_after in its details) past the limit.
func (l *RateLimiter) AllowOperation(ctx context.Context) error {
	lim := l.current()
	if lim.PerMinute <= 0 {
		return nil
	}
	key, _ := ctx.Value(rateAddrKey{}).(string)
	if p := auth.FromContext(ctx); p != nil {
		key = "user:" + p.UserID
	}
	if key == "" {
		return nil
	}
	if v := l.take(key, lim.PerMinute); v.retry > 0 {
		return tooMany(fmt.Sprintf("rate limit of %d requests a minute reached; try again in %d seconds", lim.PerMinute, v.retry), v.retry)
	}
	return nil
}

// rateKey names the client: the signed-in user, else the address.
func rateKey(r *http.Request, trustXFF bool) string {
	if p := auth.FromContext(r.Context()); p != nil {
		return "user:" + p.UserID
	}
	return addrKey(r, trustXFF)
}

// addrKey names an anonymous client by its address: the connection's, or
// the last X-Forwarded-For entry (which the nearest proxy added) when
// trusted.
func addrKey(r *http.Request, trustXFF bool) string {
	if trustXFF {
		if xff := r.Header.Values("X-Forwarded-For"); len(xff) > 0 {
			last := xff[len(xff)-1]
			if ip := strings.TrimSpace(last[strings.LastIndexByte(last, ',')+1:]); ip != "" {
				return "ip:" + ip
			}
		}
	}
	return "ip:" + ClientIP(r)
}
