package graph_test

import (
	"context"
	"testing"

	"fastcms/internal/apptest"
	"fastcms/internal/pgtest"
)

const setupQuery = `mutation($e: String!, $p: String!, $c: String!, $n: String) {
  setup(email: $e, password: $p, password_confirm: $c, name: $n) { ` + authFields + ` }
}`

// TestSetup is serial, so it runs before every parallel test of the package
// and sees a database with no admin. It makes the shared admin (rootEmail).
// (The race for setup is in ./setuprace, which has a database to itself.)
func TestSetup(t *testing.T) {
	s := apptest.Start(t)
	// Under -count=N the previous round set up already; start over.
	if _, err := pgtest.Open(t).ExecContext(context.Background(), "DELETE FROM users WHERE role = 'admin'"); err != nil {
		t.Fatal(err)
	}
	needed := `{ setup_needed }`
	expectData(t, gql(t, s, needed, nil, ""), map[string]any{"setup_needed": true})

	// An ordinary user does not close setup: it waits for the first admin.
	u := register(t, s, newEmail("early"))
	expectData(t, gql(t, s, needed, nil, ""), map[string]any{"setup_needed": true})

	// Invalid input is refused like register's and leaves setup open.
	r := gql(t, s, setupQuery, map[string]any{"e": rootEmail, "p": password, "c": "mismatch1"}, "")
	expectErrors(t, r, nil, fieldErr(setupQuery, "setup", "password_confirm: does not match password", "BAD_USER_INPUT",
		map[string]string{"password_confirm": "does not match password"}))
	r = gql(t, s, setupQuery, map[string]any{"e": u.Email, "p": password, "c": password}, "")
	expectErrors(t, r, nil, fieldErr(setupQuery, "setup", "a user with this email already exists", "CONFLICT", nil))
	expectData(t, gql(t, s, needed, nil, ""), map[string]any{"setup_needed": true})

	r = gql(t, s, setupQuery, map[string]any{"e": "ROOT@example.com", "p": password, "c": password, "n": "Root"}, "")
	want := userJSON(apptest.AnyUUID, rootEmail, "admin", false)
	want["name"] = "Root"
	expectData(t, r, map[string]any{"setup": map[string]any{"user": want, "token": tokenJSON()}})
	root := accountFrom(t, r, "setup")
	expectData(t, gql(t, s, needed, nil, ""), map[string]any{"setup_needed": false})

	// The new admin's token is an admin's at once.
	expectData(t, gql(t, s, `query($id: ID!) { user(id: $id) { role } }`, map[string]any{"id": root.ID}, root.Access),
		map[string]any{"user": map[string]any{"role": "admin"}})

	// Setup happens once, whoever asks.
	for name, token := range map[string]string{"anonymous": "", "the admin": root.Access, "a user": u.Access} {
		t.Run("again as "+name, func(t *testing.T) {
			r := gql(t, s, setupQuery, map[string]any{"e": newEmail("late"), "p": password, "c": password}, token)
			expectErrors(t, r, nil, fieldErr(setupQuery, "setup", "setup is already complete", "CONFLICT", nil))
		})
	}
	expectData(t, gql(t, s, needed, nil, ""), map[string]any{"setup_needed": false})
	if got := adminAccount(t, s); got.ID != root.ID {
		t.Fatalf("the shared admin is %s, want the one set up, %s", got.ID, root.ID)
	}
}
