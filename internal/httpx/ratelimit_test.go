package httpx

import (
	"strconv"
	"testing"
	"time"
)

// The limiter's memory is bounded: past rateMaxKeys clients, those whose
// buckets have refilled go first, then a tenth of the rest.
func TestRateLimiterEvicts(t *testing.T) {
	now := time.Unix(1_000_000, 0)
	l := NewRateLimiter(func() RateLimit { return RateLimit{PerMinute: 60} }, func() time.Time { return now })
	for i := range rateMaxKeys {
		l.take("ip:"+strconv.Itoa(i), 60)
	}
	l.take("one more", 60)
	if n := len(l.buckets); n != rateMaxKeys*9/10 {
		t.Fatalf("%d buckets after evicting busy ones, want %d", n, rateMaxKeys*9/10)
	}
	now = now.Add(time.Minute)
	for i := 0; len(l.buckets) < rateMaxKeys; i++ {
		l.take("later:"+strconv.Itoa(i), 60)
	}
	l.take("last", 60)
	// The first 90% have refilled; the later ones and the last stay.
	if n := len(l.buckets); n != rateMaxKeys/10+1 {
		t.Fatalf("%d buckets after evicting refilled ones, want %d", n, rateMaxKeys/10+1)
	}
	// A client that spent its budget keeps its bucket until then.
	for range 60 {
		l.take("busy", 60)
	}
	if v := l.take("busy", 60); v.retry != 1 || v.remaining != 0 || v.reset != 60 {
		t.Fatalf("over the limit: %+v, want retry 1, remaining 0, reset 60", v)
	}
}
