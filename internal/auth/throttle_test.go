package auth

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"fastcms/internal/apierr"
)

// TestSecurity15ThrottleBuckets: a budget refills over the minute, a refusal
// says when to retry and spends nothing, and memory stays bounded however
// many keys an attacker makes up.
func TestSecurity15ThrottleBuckets(t *testing.T) {
	now := time.Unix(1_000_000, 0)
	th := newThrottle(ThrottleOptions{PerIP: 6, PerAccount: 2}, func() time.Time { return now })
	for range 2 {
		if err := th.allow(actLogin, "1.2.3.4", "a@example.com"); err != nil {
			t.Fatal(err)
		}
	}
	err := th.allow(actLogin, "1.2.3.4", "a@example.com")
	if secs, ok := apierr.RetryAfter(err); !ok || secs != 30 {
		t.Fatalf("third attempt: %v (retry after %d), want a 429 asking for 30 s", err, secs)
	}
	if e, _ := apierr.As(err); e.Status != http.StatusTooManyRequests || e.Message != "too many attempts; try again in 30 seconds" {
		t.Fatalf("refusal: %+v", e)
	}
	// The refused attempt did not spend the address's budget: four remain.
	for i := range 4 {
		if err := th.allow(actLogin, "1.2.3.4", fmt.Sprintf("b%d@example.com", i)); err != nil {
			t.Fatalf("attempt %d for another account: %v", i, err)
		}
	}
	if err := th.allow(actLogin, "1.2.3.4", "c@example.com"); err == nil {
		t.Fatal("the address went past its budget")
	}
	// Other actions and addresses have budgets of their own.
	if err := th.allow(actReset, "1.2.3.4", "a@example.com"); err != nil {
		t.Fatal(err)
	}
	now = now.Add(30 * time.Second)
	if err := th.allow(actLogin, "1.2.3.4", "a@example.com"); err != nil {
		t.Fatalf("after 30 s: %v", err)
	}

	l := newLimiter(1, func() time.Time { return now })
	for i := range throttleMaxKeys + 10 {
		l.take(fmt.Sprint(i))
	}
	if n := len(l.buckets); n > throttleMaxKeys {
		t.Fatalf("%d buckets, want at most %d", n, throttleMaxKeys)
	}
	off := newLimiter(0, time.Now)
	for range 100 {
		if off.take("k") != 0 || len(off.buckets) != 0 {
			t.Fatal("a limit of 0 must be off and keep nothing")
		}
	}
}
