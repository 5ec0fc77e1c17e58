package auth

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

const (
	// cacheTTL bounds how stale a cached user may be should a NOTIFY be lost
	// without the listener noticing a reconnect.
	cacheTTL = 5 * time.Minute
	// cacheMax bounds memory; past it the cache starts over.
	cacheMax = 100_000
)

// principalState is what an access token is checked against on every
// request: the user's current role and email and their live sessions.
type principalState struct {
	exists   bool
	email    string
	role     string
	verified bool
	sessions map[string]time.Time // session id → expiry
	loaded   time.Time
}

// principalCache keeps principalState per user so authenticating a request
// costs no database round trip. Entries are dropped on every change (locally
// and, through NOTIFY, on every instance).
type principalCache struct {
	load func(ctx context.Context, userID string) (*principalState, error)
	now  func() time.Time

	mu      sync.RWMutex
	entries map[string]*principalState
	// epoch grows on every drop; a load that overlapped a drop is not
	// stored, so a state read before a commit never outlives that commit.
	epoch atomic.Uint64
}

func newPrincipalCache(load func(context.Context, string) (*principalState, error), now func() time.Time) *principalCache {
	return &principalCache{load: load, now: now, entries: map[string]*principalState{}}
}

func (c *principalCache) get(ctx context.Context, userID string) (*principalState, error) {
	c.mu.RLock()
	st, ok := c.entries[userID]
	c.mu.RUnlock()
	if ok && c.now().Sub(st.loaded) < cacheTTL {
		return st, nil
	}
	epoch := c.epoch.Load()
	st, err := c.load(ctx, userID)
	if err != nil {
		return nil, err
	}
	st.loaded = c.now()
	c.mu.Lock()
	if c.epoch.Load() == epoch {
		if len(c.entries) >= cacheMax {
			c.entries = map[string]*principalState{}
		}
		c.entries[userID] = st
	}
	c.mu.Unlock()
	return st, nil
}

func (c *principalCache) drop(userID string) {
	c.mu.Lock()
	c.epoch.Add(1)
	delete(c.entries, userID)
	c.mu.Unlock()
}

func (c *principalCache) flush() {
	c.mu.Lock()
	c.epoch.Add(1)
	c.entries = map[string]*principalState{}
	c.mu.Unlock()
}
