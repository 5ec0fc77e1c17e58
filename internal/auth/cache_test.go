package auth

import (
	"context"
	"testing"
	"time"
)

// A load that overlaps a drop must not be stored: it may have read the
// state from before the change that caused the drop.
func TestCacheDoesNotStoreALoadThatOverlappedADrop(t *testing.T) {
	loads := 0
	var c *principalCache
	c = newPrincipalCache(func(context.Context, string) (*principalState, error) {
		loads++
		if loads == 1 {
			c.drop("u") // a logout commits while the first load is reading
		}
		return &principalState{exists: true}, nil
	}, time.Now)
	ctx := context.Background()
	if _, err := c.get(ctx, "u"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.get(ctx, "u"); err != nil {
		t.Fatal(err)
	}
	if loads != 2 {
		t.Fatalf("%d loads, want 2: the overlapping load was cached", loads)
	}
	if _, err := c.get(ctx, "u"); err != nil {
		t.Fatal(err)
	}
	if loads != 2 {
		t.Fatalf("%d loads, want 2: a clean load was not cached", loads)
	}
}

func TestCacheExpires(t *testing.T) {
	now := time.Now()
	loads := 0
	c := newPrincipalCache(func(context.Context, string) (*principalState, error) {
		loads++
		return &principalState{}, nil
	}, func() time.Time { return now })
	ctx := context.Background()
	c.get(ctx, "u") //nolint:errcheck // the loader cannot fail
	c.get(ctx, "u") //nolint:errcheck
	now = now.Add(cacheTTL)
	c.get(ctx, "u") //nolint:errcheck
	if loads != 2 {
		t.Fatalf("%d loads, want 2", loads)
	}
}
