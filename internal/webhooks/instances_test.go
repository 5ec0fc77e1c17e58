package webhooks_test

import (
	"testing"
	"time"
)

// Two instances on one database: both dispatch and both send, yet every
// event reaches each webhook once.
func TestWebhookTwoInstancesDeliverOnce(t *testing.T) {
	a, b := start(t), start(t)
	root := adminToken(t, a)
	coll := collection(t, a, root)
	rc1, rc2 := newReceiver(t), newReceiver(t)
	createHook(t, a, root, map[string]any{"url": rc1.URL, "collection_name": coll})
	createHook(t, b, root, map[string]any{"url": rc2.URL, "collection_name": coll})
	const n = 60
	for i := range n {
		s := a
		if i%2 == 1 {
			s = b
		}
		createRecord(t, s, root, coll, map[string]any{"n": i})
	}
	for _, rc := range []*receiver{rc1, rc2} {
		hits := rc.wait(t, n)
		time.Sleep(300 * time.Millisecond)
		seen := map[string]bool{}
		for i, h := range rc.wait(t, n) {
			id := h.header.Get("X-Webhook-Id")
			if seen[id] {
				t.Errorf("delivery %s arrived twice", id)
			}
			seen[id] = true
			if got := decode(t, h.body)["data"].(map[string]any)["data"].(map[string]any)["n"]; got != float64(i) {
				t.Errorf("request %d carried n = %v: out of order", i, got)
			}
		}
		if len(hits) != n || rc.count() != n {
			t.Errorf("%d requests, want %d", rc.count(), n)
		}
	}
}
