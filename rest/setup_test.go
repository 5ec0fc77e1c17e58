package rest_test

import (
	"net/http"
	"sync"
	"testing"

	"fastcms/internal/apptest"
)

// TestSetupRace is the package's only serial test, so it runs before every
// parallel one: the database has no admin yet.
func TestSetupRace(t *testing.T) {
	s := apptest.Start(t)
	apptest.ExpectJSON(t, s.Do(t, http.MethodGet, "/api/v1/setup/check", nil, ""), http.StatusOK, map[string]any{"needs_setup": true})

	const racers = 8
	statuses := make([]int, racers)
	emails := make([]string, racers)
	var wg sync.WaitGroup
	for i := range racers {
		emails[i] = newEmail("racer")
		wg.Add(1)
		go func() {
			defer wg.Done()
			body := map[string]any{"email": emails[i], "password": password, "password_confirm": password}
			statuses[i] = s.Do(t, http.MethodPost, "/api/v1/setup", body, "").Status
		}()
	}
	wg.Wait()
	won, winner := 0, ""
	for i, st := range statuses {
		switch st {
		case http.StatusCreated:
			won, winner = won+1, emails[i]
		case http.StatusConflict:
		default:
			t.Fatalf("setup answered %d", st)
		}
	}
	if won != 1 {
		t.Fatalf("%d setups won, want exactly 1 (%v)", won, statuses)
	}
	apptest.ExpectJSON(t, s.Do(t, http.MethodGet, "/api/v1/setup/check", nil, ""), http.StatusOK, map[string]any{"needs_setup": false})
	r := s.Do(t, http.MethodPost, "/api/v1/setup", map[string]any{"email": newEmail("late"), "password": password, "password_confirm": password}, "")
	apptest.ExpectError(t, r, http.StatusConflict, "conflict", "setup is already complete", nil)

	// The winner is an admin: it makes the admin the other tests log in as.
	root := login(t, s, winner, password)
	r = s.Do(t, http.MethodPost, "/api/v1/admin/users", map[string]any{"email": "root@example.com", "password": password, "role": "admin"}, root.Access)
	apptest.ExpectJSON(t, r, http.StatusCreated, userJSON(apptest.AnyUUID, "root@example.com", "admin", false))
}
