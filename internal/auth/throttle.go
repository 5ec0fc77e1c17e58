package auth

import (
	"math"
	"sync"
	"time"

	"fastcms/internal/apierr"
)

// Throttled actions: each has its own budgets, so a burst of logins does not
// block password resets.
const (
	actLogin       = "login"
	actRegister    = "register"
	actReset       = "reset"
	actVerify      = "verify"
	actEmailChange = "email_change"
	actOAuthStart  = "oauth_start"
	actOAuthFinish = "oauth_callback"
)

// throttleMaxKeys bounds each limiter's memory; past it idle buckets go
// first, then arbitrary ones.
const throttleMaxKeys = 100_000

// ThrottleOptions are attempts allowed per minute; 0 turns a limit off.
type ThrottleOptions struct {
	PerIP      int
	PerAccount int
}

// throttle limits guessing (passwords, accounts) and mail bombing: one token
// bucket per action and client address, and one per action and account.
type throttle struct {
	ip, account *limiter
}

func newThrottle(o ThrottleOptions, now func() time.Time) *throttle {
	return &throttle{ip: newLimiter(o.PerIP, now), account: newLimiter(o.PerAccount, now)}
}

// allow spends one attempt of action for the client address ip and the
// account (a lower-cased email or "" for none), or refuses with a 429 that
// says when to retry. A refused attempt spends nothing, so a caller held
// back by one budget does not drain the other.
func (t *throttle) allow(action, ip, account string) error {
	ipKey, accountKey := action+"|"+ip, action+"|"+account
	wait := t.ip.wait(ipKey)
	if account != "" {
		wait = max(wait, t.account.wait(accountKey))
	}
	if wait == 0 {
		wait = t.ip.take(ipKey)
	}
	if wait == 0 && account != "" {
		wait = t.account.take(accountKey)
	}
	if wait > 0 {
		return apierr.TooManyRequests(int(math.Ceil(wait.Seconds())))
	}
	return nil
}

// limiter is a token bucket per key: perMinute attempts at once, refilled
// at perMinute a minute.
type limiter struct {
	perMinute int
	now       func() time.Time

	mu      sync.Mutex
	buckets map[string]*bucket
}

type bucket struct {
	tokens float64
	at     time.Time
}

func newLimiter(perMinute int, now func() time.Time) *limiter {
	return &limiter{perMinute: perMinute, now: now, buckets: map[string]*bucket{}}
}

// rate is tokens per second.
func (l *limiter) rate() float64 { return float64(l.perMinute) / 60 }

// level is key's tokens now (a bucket not yet seen is full).
func (l *limiter) level(key string, now time.Time) float64 {
	b, ok := l.buckets[key]
	if !ok {
		return float64(l.perMinute)
	}
	return math.Min(float64(l.perMinute), b.tokens+now.Sub(b.at).Seconds()*l.rate())
}

// untilToken is how long until a bucket at level holds one token.
func (l *limiter) untilToken(level float64) time.Duration {
	if level >= 1 {
		return 0
	}
	return time.Duration((1 - level) / l.rate() * float64(time.Second))
}

// wait is how long key must wait for an attempt (0: it may go now).
func (l *limiter) wait(key string) time.Duration {
	if l.perMinute <= 0 {
		return 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.untilToken(l.level(key, l.now()))
}

// take spends one token of key, or says how long until there is one.
func (l *limiter) take(key string) time.Duration {
	if l.perMinute <= 0 {
		return 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	level := l.level(key, now)
	if level < 1 {
		return l.untilToken(level)
	}
	b, ok := l.buckets[key]
	if !ok {
		l.evict(now)
		b = &bucket{}
		l.buckets[key] = b
	}
	b.tokens, b.at = level-1, now
	return 0
}

// evict makes room for a new bucket when the limiter is full: buckets that
// have refilled carry no state and go first; if that is not enough, a tenth
// of the rest goes (map order is random, so no key can count on staying).
func (l *limiter) evict(now time.Time) {
	if len(l.buckets) < throttleMaxKeys {
		return
	}
	for k := range l.buckets {
		if l.level(k, now) >= float64(l.perMinute) {
			delete(l.buckets, k)
		}
	}
	for k := range l.buckets {
		if len(l.buckets) < throttleMaxKeys*9/10 {
			break
		}
		delete(l.buckets, k)
	}
}
