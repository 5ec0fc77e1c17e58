package webhooks_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"fastcms/internal/apptest"
)

// Every event of a record reaches the receiver once, in order, signed over
// the exact body bytes, with the headers of the contract.
func TestWebhookDelivers(t *testing.T) {
	s := start(t)
	root := adminToken(t, s)
	coll := collection(t, s, root)
	rc := newReceiver(t)
	hook := createHook(t, s, root, map[string]any{"url": rc.URL + "/in", "collection_name": coll, "events": []string{"*"}, "secret": "topsecret"})
	before := time.Now().Unix()
	id := createRecord(t, s, root, coll, map[string]any{"title": "a", "n": 1})
	if r := s.Do(t, http.MethodPatch, "/api/v1/collections/"+coll+"/records/"+id, map[string]any{"data": map[string]any{"title": "b"}}, root); r.Status != http.StatusOK {
		t.Fatalf("update: %d %s", r.Status, r.Body)
	}
	if r := s.Do(t, http.MethodDelete, "/api/v1/collections/"+coll+"/records/"+id, nil, root); r.Status != http.StatusNoContent {
		t.Fatalf("delete: %d %s", r.Status, r.Body)
	}
	hits := rc.wait(t, 3)
	rec := func(title string) map[string]any {
		return map[string]any{"id": id, "data": map[string]any{"title": title, "n": 1.0}, "created": apptest.AnyTime, "updated": apptest.AnyTime}
	}
	wants := []map[string]any{
		{"id": apptest.AnyUUID, "event": "record.created", "collection": coll, "record_id": id, "data": rec("a"), "timestamp": apptest.AnyTime},
		{"id": apptest.AnyUUID, "event": "record.updated", "collection": coll, "record_id": id, "data": rec("b"), "old": rec("a"), "timestamp": apptest.AnyTime},
		{"id": apptest.AnyUUID, "event": "record.deleted", "collection": coll, "record_id": id, "data": rec("b"), "timestamp": apptest.AnyTime},
	}
	for i, h := range hits {
		got := decode(t, h.body)
		if d := apptest.Diff(got, wants[i], "$"); d != "" {
			t.Errorf("request %d: %s", i, d)
		}
		if sig := h.header.Get("X-Webhook-Signature"); sig != sign("topsecret", h.body) {
			t.Errorf("request %d: signature %q does not verify", i, sig)
		}
		if h.header.Get("X-Webhook-Id") != got["id"] || h.header.Get("Content-Type") != "application/json" ||
			!strings.Contains(h.header.Get("User-Agent"), "FastCMS") {
			t.Errorf("request %d: headers %v", i, h.header)
		}
		if ts, err := strconv.ParseInt(h.header.Get("X-Webhook-Timestamp"), 10, 64); err != nil || ts < before || ts > time.Now().Unix() {
			t.Errorf("request %d: X-Webhook-Timestamp %q", i, h.header.Get("X-Webhook-Timestamp"))
		}
	}
	log := deliveries(t, s, root, hook["id"].(string), 3)
	for i, ev := range []string{"record.deleted", "record.updated", "record.created"} {
		if d := apptest.Diff(log[i], map[string]any{"id": decode(t, hits[2-i].body)["id"], "webhook_id": hook["id"], "event_seq": apptest.AnyNumber,
			"event": ev, "record_id": id, "status": "succeeded", "attempts": 1.0, "next_attempt_at": nil, "last_status_code": 200.0,
			"last_error": "", "last_response": "", "created": apptest.AnyTime, "updated": apptest.AnyTime}, "$"); d != "" {
			t.Errorf("delivery %d: %s", i, d)
		}
	}
}

// A 500 is retried with the same id and body; the retry succeeds.
func TestWebhookRetries5xx(t *testing.T) {
	s := start(t)
	root := adminToken(t, s)
	coll := collection(t, s, root)
	rc := newReceiver(t, reply{status: 500, body: "down"}, reply{status: 200, body: "ok"})
	hook := createHook(t, s, root, map[string]any{"url": rc.URL, "collection_name": coll, "secret": "k"})
	createRecord(t, s, root, coll, map[string]any{"title": "a"})
	hits := rc.wait(t, 2)
	if string(hits[0].body) != string(hits[1].body) || hits[0].header.Get("X-Webhook-Id") != hits[1].header.Get("X-Webhook-Id") {
		t.Errorf("the retry differs: %s / %s", hits[0].body, hits[1].body)
	}
	if hits[1].header.Get("X-Webhook-Signature") != sign("k", hits[1].body) {
		t.Error("the retry's signature does not verify")
	}
	log := deliveries(t, s, root, hook["id"].(string), 1)
	if log[0]["status"] != "succeeded" || log[0]["attempts"] != 2.0 || log[0]["last_status_code"] != 200.0 || log[0]["last_response"] != "ok" {
		t.Errorf("delivery %v", log[0])
	}
}

// A 400 is final: one request, the delivery failed, the answer's start kept
// (at most 1024 bytes); it can be sent again by API.
func TestWebhook4xxIsFinal(t *testing.T) {
	s := start(t)
	root := adminToken(t, s)
	coll := collection(t, s, root)
	rc := newReceiver(t, reply{status: 400, body: strings.Repeat("x", 5000)}, reply{status: 204})
	hook := createHook(t, s, root, map[string]any{"url": rc.URL, "collection_name": coll})
	hookID := hook["id"].(string)
	createRecord(t, s, root, coll, map[string]any{"title": "a"})
	log := deliveries(t, s, root, hookID, 1)
	if log[0]["status"] != "failed" || log[0]["attempts"] != 1.0 || log[0]["last_status_code"] != 400.0 || log[0]["last_response"] != strings.Repeat("x", 1024) {
		t.Errorf("delivery %v", log[0])
	}
	time.Sleep(200 * time.Millisecond)
	if n := rc.count(); n != 1 {
		t.Fatalf("a 400 was retried: %d requests", n)
	}
	r := s.Do(t, http.MethodPost, "/api/v1/webhooks/"+hookID+"/deliveries/"+log[0]["id"].(string)+"/redeliver", nil, root)
	if r.Status != http.StatusOK || r.JSON(t)["status"] != "pending" || r.JSON(t)["attempts"] != 0.0 {
		t.Fatalf("redeliver: %d %s", r.Status, r.Body)
	}
	hits := rc.wait(t, 2)
	if hits[1].header.Get("X-Webhook-Id") != log[0]["id"] {
		t.Errorf("redelivery id %q", hits[1].header.Get("X-Webhook-Id"))
	}
	log = deliveries(t, s, root, hookID, 1)
	if log[0]["status"] != "succeeded" || log[0]["last_status_code"] != 204.0 {
		t.Errorf("after redelivery: %v", log[0])
	}
	apptest.ExpectError(t, s.Do(t, http.MethodPost, "/api/v1/webhooks/"+hookID+"/deliveries/"+hookID+"/redeliver", nil, root),
		http.StatusNotFound, "not found", "delivery not found", nil)
}

// Retry-After holds the retry back past the (50 ms) backoff.
func TestWebhookRetryAfter(t *testing.T) {
	s := start(t)
	root := adminToken(t, s)
	coll := collection(t, s, root)
	rc := newReceiver(t, reply{status: 429, header: map[string]string{"Retry-After": "1"}}, reply{status: 200})
	createHook(t, s, root, map[string]any{"url": rc.URL, "collection_name": coll})
	createRecord(t, s, root, coll, map[string]any{"title": "a"})
	hits := rc.wait(t, 2)
	if gap := hits[1].at.Sub(hits[0].at); gap < 900*time.Millisecond {
		t.Errorf("retried after %v despite Retry-After: 1", gap)
	}
}

// After retry_count retries the delivery is dead; a later event waits for
// the earlier one (per-webhook order) and then goes.
func TestWebhookDeadAndOrder(t *testing.T) {
	s := start(t)
	root := adminToken(t, s)
	coll := collection(t, s, root)
	rc := newReceiver(t, reply{status: 503}, reply{status: 503}, reply{status: 503}, reply{status: 200})
	hook := createHook(t, s, root, map[string]any{"url": rc.URL, "collection_name": coll, "retry_count": 2})
	first := createRecord(t, s, root, coll, map[string]any{"title": "first"})
	second := createRecord(t, s, root, coll, map[string]any{"title": "second"})
	hits := rc.wait(t, 4)
	for i, want := range []string{first, first, first, second} {
		if got := decode(t, hits[i].body)["record_id"]; got != want {
			t.Errorf("request %d was for %v, want %s", i, got, want)
		}
	}
	log := deliveries(t, s, root, hook["id"].(string), 2)
	if log[1]["status"] != "dead" || log[1]["attempts"] != 3.0 || log[1]["last_status_code"] != 503.0 || log[0]["status"] != "succeeded" {
		t.Errorf("deliveries %v", log)
	}
}

// A filter in the filter= language selects the records delivered; an
// update is delivered when the record passes before or after it.
func TestWebhookFilter(t *testing.T) {
	s := start(t)
	root := adminToken(t, s)
	coll := collection(t, s, root)
	rc := newReceiver(t)
	createHook(t, s, root, map[string]any{"url": rc.URL, "collection_name": coll, "filter": `n > 5 && title != "skip"`})
	createRecord(t, s, root, coll, map[string]any{"title": "low", "n": 1})
	createRecord(t, s, root, coll, map[string]any{"title": "skip", "n": 9})
	high := createRecord(t, s, root, coll, map[string]any{"title": "high", "n": 9})
	if r := s.Do(t, http.MethodPatch, "/api/v1/collections/"+coll+"/records/"+high, map[string]any{"data": map[string]any{"n": 2}}, root); r.Status != http.StatusOK {
		t.Fatalf("update: %d %s", r.Status, r.Body)
	}
	last := createRecord(t, s, root, coll, map[string]any{"title": "last", "n": 6})
	hits := rc.wait(t, 3)
	time.Sleep(200 * time.Millisecond)
	if rc.count() != 3 {
		t.Fatalf("%d requests, want 3", rc.count())
	}
	for i, want := range []struct{ event, id string }{{"record.created", high}, {"record.updated", high}, {"record.created", last}} {
		b := decode(t, hits[i].body)
		if b["event"] != want.event || b["record_id"] != want.id {
			t.Errorf("request %d: %s %s, want %s %s", i, b["event"], b["record_id"], want.event, want.id)
		}
	}
}

// Five dead deliveries in a row disable the webhook; events dispatched
// while it is disabled are not delivered after it is enabled again.
func TestWebhookDisabledAfterDeadRun(t *testing.T) {
	s := start(t)
	root := adminToken(t, s)
	coll := collection(t, s, root)
	rc := newReceiver(t, reply{status: 500})
	hook := createHook(t, s, root, map[string]any{"url": rc.URL, "collection_name": coll, "retry_count": 0})
	id := hook["id"].(string)
	for range 5 {
		createRecord(t, s, root, coll, map[string]any{"title": "x"})
	}
	log := deliveries(t, s, root, id, 5)
	for _, d := range log {
		if d["status"] != "dead" {
			t.Errorf("delivery %v", d)
		}
	}
	r := s.Do(t, http.MethodGet, "/api/v1/webhooks/"+id, nil, root)
	if r.JSON(t)["enabled"] != false {
		t.Fatalf("still enabled after 5 dead deliveries: %s", r.Body)
	}
	createRecord(t, s, root, coll, map[string]any{"title": "while disabled"})
	for caughtUp := false; !caughtUp; time.Sleep(10 * time.Millisecond) {
		if err := s.DB(t).QueryRow(`SELECT NOT EXISTS (SELECT 1 FROM events WHERE seq IS NULL)
			AND (SELECT seq FROM webhook_cursor) >= (SELECT max(seq) FROM events)`).Scan(&caughtUp); err != nil {
			t.Fatal(err)
		}
	}
	r = s.Do(t, http.MethodPatch, "/api/v1/webhooks/"+id, map[string]any{"enabled": true}, root)
	if r.Status != http.StatusOK || r.JSON(t)["enabled"] != true {
		t.Fatalf("re-enable: %d %s", r.Status, r.Body)
	}
	time.Sleep(300 * time.Millisecond)
	if n := rc.count(); n != 5 {
		t.Errorf("%d requests: an event written while disabled was delivered", n)
	}
}
