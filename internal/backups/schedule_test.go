package backups_test

import (
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"fastcms/internal/app"
	"fastcms/internal/apptest"
	"fastcms/internal/backups"
	"fastcms/internal/config"
)

// Two instances follow backup_schedule: each slot gets one backup however
// many instances look, and after each the scheduled backups beyond
// backup_retention are deleted, the manual one never.
func TestScheduledBackupsAndRetention(t *testing.T) {
	var now atomic.Pointer[time.Time]
	setClock := func(s string) {
		c, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		now.Store(&c)
	}
	setClock("2026-01-01T00:30:00Z")
	t.Cleanup(backups.SetSchedule(5*time.Millisecond, func() time.Time { return *now.Load() }))
	s := start(t)
	// A second instance over the same database and storage.
	other := apptest.Start(t, func(c *config.Config, _ *app.Options) { c.DataDir = s.Config.DataDir })
	tok, _ := setup(t, s)
	manual := createBackup(t, s, tok)["filename"].(string)

	const msg = `must be a cron expression of 5 fields (minute hour day month weekday, e.g. "0 3 * * *") or a descriptor like "@daily"`
	apptest.ExpectError(t, s.Do(t, http.MethodPost, "/api/v1/settings", map[string]any{"key": "backup_schedule", "value": "every day"}, tok),
		http.StatusUnprocessableEntity, "validation failed", "backup_schedule: "+msg, map[string]string{"backup_schedule": msg})
	for k, v := range map[string]any{"backup_schedule": "0 * * * *", "backup_retention": 2} {
		if r := s.Do(t, http.MethodPost, "/api/v1/settings", map[string]any{"key": k, "value": v}, tok); r.Status != http.StatusOK {
			t.Fatalf("set %s: %d %s", k, r.Status, r.Body)
		}
	}
	// names lists the backups once every one is finished.
	names := func() []string {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for {
			r := other.Do(t, http.MethodGet, "/api/v1/backups?per_page=100", nil, tok)
			var out []string
			done := true
			for _, it := range r.JSON(t)["items"].([]any) {
				b := it.(map[string]any)
				out = append(out, b["filename"].(string)+" "+b["status"].(string))
				done = done && b["status"] != backups.Running
			}
			if done || time.Now().After(deadline) {
				slices.Sort(out)
				return out
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	time.Sleep(100 * time.Millisecond)
	if got := names(); len(got) != 1 {
		t.Fatalf("a backup was taken off schedule: %v", got)
	}
	want := func(slots ...string) []string {
		out := []string{manual + " completed"}
		for _, sl := range slots {
			out = append(out, "scheduled-20260101-"+sl+".tar.gz completed")
		}
		slices.Sort(out)
		return out
	}
	for i, slot := range []string{"01", "02", "03", "04"} {
		setClock("2026-01-01T" + slot + ":00:20Z")
		// Both instances look many times within the slot's minute.
		deadline := time.Now().Add(30 * time.Second)
		for !slices.ContainsFunc(names(), func(n string) bool { return strings.Contains(n, "-"+slot+"00.tar.gz") }) {
			if time.Now().After(deadline) {
				t.Fatalf("no backup for slot %s: %v", slot, names())
			}
			time.Sleep(10 * time.Millisecond)
		}
		time.Sleep(100 * time.Millisecond)
		kept := []string{"0100", "0200", "0300", "0400"}[max(0, i-1) : i+1]
		if got := names(); !slices.Equal(got, want(kept...)) {
			t.Fatalf("after slot %s: %v, want %v", slot, got, want(kept...))
		}
	}
}
