package webhooks_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"fastcms/internal/app"
	"fastcms/internal/config"
)

// Without WEBHOOK_ALLOW_PRIVATE_TARGETS a receiver on loopback is refused
// when connecting, by the name "localhost" as by address, and the delivery
// fails at once (no retry could help).
func TestWebhookSSRFRefused(t *testing.T) {
	s := start(t, func(c *config.Config, _ *app.Options) { c.Webhooks.AllowPrivateTargets = false })
	root := adminToken(t, s)
	coll := collection(t, s, root)
	rc := newReceiver(t)
	port := rc.URL[strings.LastIndexByte(rc.URL, ':'):]
	for _, target := range []string{rc.URL, "http://localhost" + port} {
		hook := createHook(t, s, root, map[string]any{"url": target, "collection_name": coll})
		createRecord(t, s, root, coll, map[string]any{"title": "a"})
		log := deliveries(t, s, root, hook["id"].(string), 1)
		errText, _ := log[0]["last_error"].(string)
		if log[0]["status"] != "failed" || log[0]["attempts"] != 1.0 || log[0]["last_status_code"] != nil ||
			!strings.Contains(errText, "is loopback, private, link-local or otherwise internal") {
			t.Errorf("%s: delivery %v", target, log[0])
		}
		if r := s.Do(t, http.MethodDelete, "/api/v1/webhooks/"+hook["id"].(string), nil, root); r.Status != http.StatusNoContent {
			t.Fatalf("delete: %d", r.Status)
		}
	}
	time.Sleep(100 * time.Millisecond)
	if n := rc.count(); n != 0 {
		t.Errorf("the private receiver got %d requests", n)
	}
}

// The guard follows the live setting webhook_allow_private_targets: an
// admin turns it on and the next connection to a private receiver goes
// through, without a restart.
func TestWebhookPrivateTargetsSetting(t *testing.T) {
	s := start(t, func(c *config.Config, _ *app.Options) { c.Webhooks.AllowPrivateTargets = false })
	root := adminToken(t, s)
	coll := collection(t, s, root)
	rc := newReceiver(t)
	hook := createHook(t, s, root, map[string]any{"url": rc.URL, "collection_name": coll})
	createRecord(t, s, root, coll, map[string]any{"title": "refused"})
	if log := deliveries(t, s, root, hook["id"].(string), 1); log[0]["status"] != "failed" {
		t.Fatalf("before the setting: %v", log[0])
	}
	r := s.Do(t, http.MethodPost, "/api/v1/settings", map[string]any{"key": "webhook_allow_private_targets", "value": true}, root)
	if r.Status != http.StatusOK {
		t.Fatalf("setting: %d %s", r.Status, r.Body)
	}
	createRecord(t, s, root, coll, map[string]any{"title": "allowed"})
	log := deliveries(t, s, root, hook["id"].(string), 2)
	if log[0]["status"] != "succeeded" {
		t.Fatalf("after the setting: %v", log[0])
	}
	if n := rc.count(); n != 1 {
		t.Fatalf("the receiver got %d requests, want 1", n)
	}
}
