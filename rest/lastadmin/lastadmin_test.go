// Package lastadmin_test races admins demoting and deleting each other. It
// is a package of its own because "the last admin" needs a database whose
// only admins are the test's, and pgtest gives each package one database.
package lastadmin_test

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

const password = "secret123"

// rounds gives the race many chances: without the lock one overlap is enough
// to leave no admin.
const rounds = 15

type admin struct{ id, access string }

// twoAdmins empties the database and makes exactly two admins, a and b.
func twoAdmins(t *testing.T, s *apptest.Server, round int) (a, b admin) {
	t.Helper()
	if _, err := s.DB(t).ExecContext(context.Background(), "DELETE FROM users"); err != nil {
		t.Fatal(err)
	}
	mk := func(name string) admin {
		email := fmt.Sprintf("%s-%d@example.com", name, round)
		path := "/api/v1/setup"
		if name == "b" {
			path = "/api/v1/auth/register"
		}
		r := s.Do(t, http.MethodPost, path, map[string]any{"email": email, "password": password, "password_confirm": password}, "")
		if r.Status != http.StatusCreated {
			t.Fatalf("%s: %d %s", path, r.Status, r.Body)
		}
		body := r.JSON(t)
		return admin{body["user"].(map[string]any)["id"].(string), body["token"].(map[string]any)["access_token"].(string)}
	}
	a, b = mk("a"), mk("b")
	if r := s.Do(t, http.MethodPatch, "/api/v1/admin/users/"+b.id, map[string]any{"role": "admin"}, a.access); r.Status != http.StatusOK {
		t.Fatalf("promote b: %d %s", r.Status, r.Body)
	}
	return a, b
}

// race runs both calls at once and returns their responses.
func race(first, second func() *apptest.Response) (*apptest.Response, *apptest.Response) {
	var r1, r2 *apptest.Response
	var wg sync.WaitGroup
	start := make(chan struct{})
	wg.Add(2)
	go func() { defer wg.Done(); <-start; r1 = first() }()
	go func() { defer wg.Done(); <-start; r2 = second() }()
	close(start)
	wg.Wait()
	return r1, r2
}

func adminCount(t *testing.T, s *apptest.Server) int {
	t.Helper()
	var n int
	if err := s.DB(t).QueryRowContext(context.Background(), "SELECT count(*) FROM users WHERE role = 'admin'").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestSecurity16LastAdminConcurrentDemotion: two admins demoting each other
// at once, over REST, over GraphQL, and one deleting while the other demotes,
// must leave an admin; the loser is told why, and setup stays closed.
func TestSecurity16LastAdminConcurrentDemotion(t *testing.T) {
	s := apptest.Start(t)
	demoteREST := func(actor, target admin) func() *apptest.Response {
		return func() *apptest.Response {
			return s.Do(t, http.MethodPatch, "/api/v1/admin/users/"+target.id, map[string]any{"role": "user"}, actor.access)
		}
	}
	demoteGQL := func(actor, target admin) func() *apptest.Response {
		return func() *apptest.Response {
			return s.Do(t, http.MethodPost, "/graphql", map[string]any{
				"query":     `mutation($id: ID!) { update_user(id: $id, role: "user") { role } }`,
				"variables": map[string]any{"id": target.id}}, actor.access)
		}
	}
	deleteREST := func(actor, target admin) func() *apptest.Response {
		return func() *apptest.Response {
			return s.Do(t, http.MethodDelete, "/api/v1/admin/users/"+target.id, nil, actor.access)
		}
	}
	ok := func(r *apptest.Response) bool {
		return (r.Status == http.StatusOK || r.Status == http.StatusNoContent) && !(r.Status == http.StatusOK && r.JSON(t)["errors"] != nil)
	}
	cases := []struct {
		name   string
		ab, ba func(actor, target admin) func() *apptest.Response
	}{
		{"REST demotions", demoteREST, demoteREST},
		{"GraphQL demotions", demoteGQL, demoteGQL},
		{"delete against demotion", deleteREST, demoteREST},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for round := range rounds {
				a, b := twoAdmins(t, s, round)
				r1, r2 := race(c.ab(a, b), c.ba(b, a))
				if n := adminCount(t, s); n != 1 {
					t.Fatalf("round %d: %d admins left (%d %s / %d %s)", round, n, r1.Status, r1.Body, r2.Status, r2.Body)
				}
				if ok(r1) == ok(r2) {
					t.Fatalf("round %d: want exactly one success: %d %s / %d %s", round, r1.Status, r1.Body, r2.Status, r2.Body)
				}
				loser := r2
				if !ok(r1) {
					loser = r1
				}
				expectRefused(t, loser)
				apptest.ExpectJSON(t, s.Do(t, http.MethodGet, "/api/v1/setup/check", nil, ""), http.StatusOK, map[string]any{"needs_setup": false})
			}
		})
	}
}

// expectRefused accepts the answers a loser may get: refused as the last
// admin (it waited on the lock), no longer an admin or no longer an account
// (its request started after the winner's commit), in either API's shape.
func expectRefused(t *testing.T, r *apptest.Response) {
	t.Helper()
	msgs := map[string]string{
		"the last admin cannot be demoted": "bad request",
		"the last admin cannot be deleted": "bad request",
		"admin access required":            "forbidden",
		"invalid or expired access token":  "unauthorized",
	}
	body := r.JSON(t)
	if errs, isGQL := body["errors"].([]any); isGQL {
		msg := errs[0].(map[string]any)["message"].(string)
		if _, known := msgs[msg]; !known || r.Status != http.StatusOK || body["data"] != nil {
			t.Fatalf("unexpected refusal: %d %s", r.Status, r.Body)
		}
		return
	}
	msg, _ := body["message"].(string)
	code, known := msgs[msg]
	if !known {
		t.Fatalf("unexpected refusal: %d %s", r.Status, r.Body)
	}
	status := map[string]int{"bad request": http.StatusBadRequest, "forbidden": http.StatusForbidden, "unauthorized": http.StatusUnauthorized}[code]
	apptest.ExpectError(t, r, status, code, msg, nil)
}
