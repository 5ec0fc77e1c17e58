// Package setuprace_test races first-admin setup over GraphQL. It is a
// package of its own because the race needs a database with no admin, and
// pgtest gives each package one database.
package setuprace_test

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"

	"fastcms/internal/apptest"
	"fastcms/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

const (
	password   = "secret123"
	setupQuery = `mutation($e: String!, $p: String!) {
  setup(email: $e, password: $p, password_confirm: $p) { user { id email role } token { access_token } }
}`
)

// conflict is the exact answer of every setup but the first.
var conflict = map[string]any{"data": nil, "errors": []any{map[string]any{
	"message": "setup is already complete", "path": []any{"setup"},
	"locations": []any{map[string]any{"line": 2, "column": 3}}, "extensions": map[string]any{"code": "CONFLICT"},
}}}

func TestSetupRace(t *testing.T) {
	// Under -count=N the previous round set up already; start over.
	if _, err := pgtest.Open(t).ExecContext(context.Background(), "DELETE FROM users"); err != nil {
		t.Fatal(err)
	}
	// Two instances, as behind a load balancer: the lock is the database's.
	servers := []*apptest.Server{apptest.Start(t), apptest.Start(t)}
	apptest.ExpectJSON(t, servers[0].Do(t, http.MethodPost, "/graphql", map[string]any{"query": "{ setup_needed }"}, ""),
		http.StatusOK, map[string]any{"data": map[string]any{"setup_needed": true}})

	const racers = 10
	responses := make([]*apptest.Response, racers)
	emails := make([]string, racers)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range racers {
		emails[i] = fmt.Sprintf("racer-%d@example.com", i)
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			body := map[string]any{"query": setupQuery, "variables": map[string]any{"e": emails[i], "p": password}}
			responses[i] = servers[i%2].Do(t, http.MethodPost, "/graphql", body, "")
		}()
	}
	close(start)
	wg.Wait()

	winner := -1
	for i, r := range responses {
		if r.JSON(t)["errors"] != nil {
			apptest.ExpectJSON(t, r, http.StatusOK, conflict)
			continue
		}
		if winner >= 0 {
			t.Fatalf("racers %d and %d both set up: %s / %s", winner, i, responses[winner].Body, r.Body)
		}
		winner = i
		apptest.ExpectJSON(t, r, http.StatusOK, map[string]any{"data": map[string]any{"setup": map[string]any{
			"user":  map[string]any{"id": apptest.AnyUUID, "email": emails[i], "role": "admin"},
			"token": map[string]any{"access_token": apptest.AnyString},
		}}})
	}
	if winner < 0 {
		t.Fatal("no racer set up")
	}
	token := responses[winner].JSON(t)["data"].(map[string]any)["setup"].(map[string]any)["token"].(map[string]any)["access_token"].(string)

	// Exactly one account exists, the winner's, an admin; setup is closed on
	// both instances.
	for _, s := range servers {
		apptest.ExpectJSON(t, s.Do(t, http.MethodPost, "/graphql", map[string]any{"query": "{ setup_needed }"}, ""),
			http.StatusOK, map[string]any{"data": map[string]any{"setup_needed": false}})
		r := s.Do(t, http.MethodPost, "/graphql", map[string]any{"query": "{ users { items { email role } total } }"}, token)
		apptest.ExpectJSON(t, r, http.StatusOK, map[string]any{"data": map[string]any{"users": map[string]any{
			"items": []any{map[string]any{"email": emails[winner], "role": "admin"}}, "total": 1}}})
	}

	// The only admin cannot delete their account: setup would reopen to anyone.
	r := servers[0].Do(t, http.MethodPost, "/graphql", map[string]any{"query": "mutation { delete_me }"}, token)
	apptest.ExpectJSON(t, r, http.StatusOK, map[string]any{"data": nil, "errors": []any{map[string]any{
		"message": "the last admin cannot be deleted", "path": []any{"delete_me"},
		"locations": []any{map[string]any{"line": 1, "column": 12}}, "extensions": map[string]any{"code": "BAD_USER_INPUT"},
	}}})
}
