package graph_test

import (
	"fmt"
	"strings"
	"testing"

	"fastcms/internal/apptest"
)

const (
	usersQuery = `query($p: Int, $pp: Int, $skip: Boolean) {
  users(page: $p, per_page: $pp, skip_total: $skip) { items { id email role } total page per_page total_pages }
}`
	userQuery       = `query($id: ID!) { user(id: $id) { ` + userFields + ` } }`
	createUserQuery = `mutation($e: String!, $p: String!, $n: String, $r: String) {
  create_user(email: $e, password: $p, name: $n, role: $r) { ` + userFields + ` }
}`
	updateUserQuery = `mutation($id: ID!, $n: String, $e: String, $a: String, $r: String, $v: Boolean, $p: String) {
  update_user(id: $id, name: $n, email: $e, avatar: $a, role: $r, verified: $v, password: $p) { ` + userFields + ` }
}`
	deleteUserQuery = `mutation($id: ID!) { delete_user(id: $id) }`
)

// TestUsersPaging is serial, so no other test adds users while it counts.
func TestUsersPaging(t *testing.T) {
	s := apptest.Start(t)
	admin := adminAccount(t, s)
	r := gql(t, s, usersQuery, map[string]any{"pp": 1}, admin.Access)
	before := int(r.JSON(t)["data"].(map[string]any)["users"].(map[string]any)["total"].(float64))

	// Three new users are the last three, oldest first.
	var mine []any
	for i := range 3 {
		email := newEmail("page")
		r := gql(t, s, createUserQuery, map[string]any{"e": email, "p": password, "r": []string{"user", "admin", "user"}[i]}, admin.Access)
		u := r.JSON(t)["data"].(map[string]any)["create_user"].(map[string]any)
		mine = append(mine, map[string]any{"id": u["id"], "email": email, "role": u["role"]})
	}
	total := before + 3
	pages := func(per int) int { return (total + per - 1) / per }

	for i, want := range mine {
		r := gql(t, s, usersQuery, map[string]any{"p": before + 1 + i, "pp": 1}, admin.Access)
		expectData(t, r, map[string]any{"users": map[string]any{"items": []any{want}, "total": total, "page": before + 1 + i, "per_page": 1, "total_pages": total}})
	}
	// Past the end: no items, the same totals.
	expectData(t, gql(t, s, usersQuery, map[string]any{"p": total + 1, "pp": 1}, admin.Access),
		map[string]any{"users": map[string]any{"items": []any{}, "total": total, "page": total + 1, "per_page": 1, "total_pages": total}})
	// skip_total spares the count: -1 for both totals.
	expectData(t, gql(t, s, usersQuery, map[string]any{"p": before + 3, "pp": 1, "skip": true}, admin.Access),
		map[string]any{"users": map[string]any{"items": []any{mine[2]}, "total": -1, "page": before + 3, "per_page": 1, "total_pages": -1}})
	// Defaults: page 1 of 20; skip_total false counts.
	q := `query($skip: Boolean) { users(skip_total: $skip) { total page per_page total_pages } }`
	expectData(t, gql(t, s, q, map[string]any{"skip": false}, admin.Access),
		map[string]any{"users": map[string]any{"total": total, "page": 1, "per_page": 20, "total_pages": pages(20)}})
	// A page of 2 whose last page holds the newest user(s).
	last := pages(2)
	items := []any{mine[2]}
	if total%2 == 0 {
		items = []any{mine[1], mine[2]}
	}
	expectData(t, gql(t, s, usersQuery, map[string]any{"p": last, "pp": 2}, admin.Access),
		map[string]any{"users": map[string]any{"items": items, "total": total, "page": last, "per_page": 2, "total_pages": last}})

	for _, tc := range []struct {
		name    string
		vars    map[string]any
		message string
	}{
		{"page 0", map[string]any{"p": 0}, "page must be 1 or more"},
		{"negative page", map[string]any{"p": -1}, "page must be 1 or more"},
		{"per_page 0", map[string]any{"pp": 0}, "per_page must be between 1 and 100"},
		{"per_page 101", map[string]any{"pp": 101}, "per_page must be between 1 and 100"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			expectErrors(t, gql(t, s, usersQuery, tc.vars, admin.Access), nil, fieldErr(usersQuery, "users", tc.message, "BAD_USER_INPUT", nil))
		})
	}
}

func TestUserAdmin(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t)
	admin := adminAccount(t, s)

	// create_user: a user by default, not logged in, not verified.
	email := newEmail("made")
	r := gql(t, s, createUserQuery, map[string]any{"e": strings.ToUpper(email), "p": password, "n": "Made"}, admin.Access)
	want := userJSON(apptest.AnyUUID, email, "user", false)
	want["name"] = "Made"
	expectData(t, r, map[string]any{"create_user": want})
	made := r.JSON(t)["data"].(map[string]any)["create_user"].(map[string]any)
	id := made["id"].(string)
	want["id"] = id
	u := login(t, s, email, password)

	boss := newEmail("boss")
	expectData(t, gql(t, s, createUserQuery, map[string]any{"e": boss, "p": password, "r": "admin"}, admin.Access),
		map[string]any{"create_user": userJSON(apptest.AnyUUID, boss, "admin", false)})

	t.Run("create_user refusals", func(t *testing.T) {
		for _, tc := range []struct {
			name          string
			vars          map[string]any
			message, code string
			fields        map[string]string
		}{
			{"duplicate email", map[string]any{"e": strings.ToUpper(email), "p": password}, "a user with this email already exists", "CONFLICT", nil},
			{"unknown role", map[string]any{"e": newEmail("role"), "p": password, "r": "owner"}, "role: must be user or admin", "BAD_USER_INPUT",
				map[string]string{"role": "must be user or admin"}},
			{"weak password and role", map[string]any{"e": newEmail("role"), "p": "weak", "r": "root"}, "validation failed", "BAD_USER_INPUT",
				map[string]string{"password": "must be 8 to 100 characters", "role": "must be user or admin"}},
			{"weak password", map[string]any{"e": newEmail("weak"), "p": "weak"}, "password: must be 8 to 100 characters", "BAD_USER_INPUT",
				map[string]string{"password": "must be 8 to 100 characters"}},
			{"invalid email", map[string]any{"e": "x@y", "p": password}, "email: must be a valid email address", "BAD_USER_INPUT",
				map[string]string{"email": "must be a valid email address"}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				expectErrors(t, gql(t, s, createUserQuery, tc.vars, admin.Access), nil,
					fieldErr(createUserQuery, "create_user", tc.message, tc.code, tc.fields))
			})
		}
	})

	// user(id)
	expectData(t, gql(t, s, userQuery, map[string]any{"id": id}, admin.Access), map[string]any{"user": want})
	for name, missing := range map[string]string{"unknown": "00000000-0000-4000-8000-000000000000", "malformed": "42"} {
		t.Run(name+" id", func(t *testing.T) {
			expectErrors(t, gql(t, s, userQuery, map[string]any{"id": missing}, admin.Access), map[string]any{"user": nil},
				fieldErr(userQuery, "user", "user not found", "NOT_FOUND", nil))
			expectErrors(t, gql(t, s, updateUserQuery, map[string]any{"id": missing, "n": "x"}, admin.Access), nil,
				fieldErr(updateUserQuery, "update_user", "user not found", "NOT_FOUND", nil))
			expectErrors(t, gql(t, s, deleteUserQuery, map[string]any{"id": missing}, admin.Access), nil,
				fieldErr(deleteUserQuery, "delete_user", "user not found", "NOT_FOUND", nil))
		})
	}

	// update_user changes what it is given and nothing else.
	newAddr := newEmail("renamed")
	r = gql(t, s, updateUserQuery, map[string]any{"id": id, "n": "Renamed", "e": newAddr, "a": "a.png", "v": true}, admin.Access)
	want["name"], want["email"], want["avatar"], want["verified"] = "Renamed", newAddr, "a.png", true
	expectData(t, r, map[string]any{"update_user": want})
	expectData(t, gql(t, s, userQuery, map[string]any{"id": id}, admin.Access), map[string]any{"user": want})
	u.Email = newAddr
	expectSignedIn(t, s, u.Access, u)

	t.Run("update_user refusals", func(t *testing.T) {
		for _, tc := range []struct {
			name          string
			vars          map[string]any
			message, code string
			fields        map[string]string
		}{
			{"email of another user", map[string]any{"e": admin.Email}, "a user with this email already exists", "CONFLICT", nil},
			{"unknown role", map[string]any{"r": "superuser"}, "role: must be user or admin", "BAD_USER_INPUT", map[string]string{"role": "must be user or admin"}},
			{"weak password", map[string]any{"p": "password"}, "password: must contain a letter and a digit", "BAD_USER_INPUT",
				map[string]string{"password": "must contain a letter and a digit"}},
			{"several", map[string]any{"e": "@", "n": strings.Repeat("n", 101)}, "validation failed", "BAD_USER_INPUT",
				map[string]string{"email": "must be a valid email address", "name": "must be at most 100 characters"}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				vars := map[string]any{"id": id}
				for k, v := range tc.vars {
					vars[k] = v
				}
				expectErrors(t, gql(t, s, updateUserQuery, vars, admin.Access), nil,
					fieldErr(updateUserQuery, "update_user", tc.message, tc.code, tc.fields))
			})
		}
		expectData(t, gql(t, s, userQuery, map[string]any{"id": id}, admin.Access), map[string]any{"user": want})
	})

	// A new password set by an admin ends the user's sessions.
	r = gql(t, s, updateUserQuery, map[string]any{"id": id, "p": "admin-set-1"}, admin.Access)
	expectData(t, r, map[string]any{"update_user": want})
	expectSignedOut(t, s, u.Access)
	expectRefreshFails(t, s, u.Refresh, "refresh token expired or revoked")
	u = login(t, s, newAddr, "admin-set-1")

	// An admin cannot demote or delete themself; keeping the admin role is fine.
	expectErrors(t, gql(t, s, updateUserQuery, map[string]any{"id": admin.ID, "r": "user"}, admin.Access), nil,
		fieldErr(updateUserQuery, "update_user", "an admin cannot demote themself", "BAD_USER_INPUT", nil))
	r = gql(t, s, updateUserQuery, map[string]any{"id": admin.ID, "r": "admin"}, admin.Access)
	if body := r.JSON(t); body["errors"] != nil {
		t.Fatalf("re-asserting one's own admin role: %s", r.Body)
	}
	expectErrors(t, gql(t, s, deleteUserQuery, map[string]any{"id": admin.ID}, admin.Access), nil,
		fieldErr(deleteUserQuery, "delete_user", "an admin cannot delete themself", "BAD_USER_INPUT", nil))

	// delete_user
	expectData(t, gql(t, s, deleteUserQuery, map[string]any{"id": id}, admin.Access), map[string]any{"delete_user": true})
	expectSignedOut(t, s, u.Access)
	expectErrors(t, gql(t, s, userQuery, map[string]any{"id": id}, admin.Access), map[string]any{"user": nil},
		fieldErr(userQuery, "user", "user not found", "NOT_FOUND", nil))
	expectErrors(t, gql(t, s, deleteUserQuery, map[string]any{"id": id}, admin.Access), nil,
		fieldErr(deleteUserQuery, "delete_user", "user not found", "NOT_FOUND", nil))
}

// TestAdminOnly asks every admin operation as anonymous, as a user, and with
// a dead token.
func TestAdminOnly(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t)
	u := register(t, s, newEmail("plain"))
	victim := register(t, s, newEmail("victim"))
	ops := []struct {
		field, query string
		vars         map[string]any
		data         any // what data is when the field fails
	}{
		{"users", usersQuery, nil, nil},
		{"user", userQuery, map[string]any{"id": victim.ID}, map[string]any{"user": nil}},
		{"create_user", createUserQuery, map[string]any{"e": newEmail("sneaky"), "p": password, "r": "admin"}, nil},
		{"update_user", updateUserQuery, map[string]any{"id": u.ID, "r": "admin"}, nil},
		{"delete_user", deleteUserQuery, map[string]any{"id": victim.ID}, nil},
	}
	callers := []struct {
		name, token, message, code string
	}{
		{"anonymous", "", msgAuthRequired, "UNAUTHENTICATED"},
		{"user", u.Access, msgAdminOnly, "FORBIDDEN"},
		{"dead token", deadToken(t, s, u), msgBadToken, "UNAUTHENTICATED"},
	}
	for _, op := range ops {
		for _, c := range callers {
			t.Run(fmt.Sprintf("%s as %s", op.field, c.name), func(t *testing.T) {
				expectErrors(t, gql(t, s, op.query, op.vars, c.token), op.data, fieldErr(op.query, op.field, c.message, c.code, nil))
			})
		}
	}
	// Nothing happened: the user is still a user, the victim still there.
	expectData(t, gql(t, s, `{ me { role } }`, nil, u.Access), map[string]any{"me": map[string]any{"role": "user"}})
	expectSignedIn(t, s, victim.Access, victim)
}

// deadToken is an access token of a's that no longer works: that of a
// session logged out.
func deadToken(t *testing.T, s *apptest.Server, a account) string {
	t.Helper()
	b := login(t, s, a.Email, password)
	expectData(t, gql(t, s, `mutation($r: String!) { logout(refresh_token: $r) }`, map[string]any{"r": b.Refresh}, ""), map[string]any{"logout": true})
	return b.Access
}

// TestRoleChangeIsImmediate: the role comes from the account, not the token,
// so promoting or demoting takes effect on tokens already issued.
func TestRoleChangeIsImmediate(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t)
	admin := adminAccount(t, s)
	u := register(t, s, newEmail("promoted"))
	q := `{ users(per_page: 1) { per_page } }`

	expectErrors(t, gql(t, s, q, nil, u.Access), nil, fieldErr(q, "users", msgAdminOnly, "FORBIDDEN", nil))
	r := gql(t, s, updateUserQuery, map[string]any{"id": u.ID, "r": "admin"}, admin.Access)
	expectData(t, r, map[string]any{"update_user": userJSON(u.ID, u.Email, "admin", false)})
	expectData(t, gql(t, s, q, nil, u.Access), map[string]any{"users": map[string]any{"per_page": 1}})

	// Demoted again, the same token loses admin access at once.
	r = gql(t, s, updateUserQuery, map[string]any{"id": u.ID, "r": "user"}, admin.Access)
	expectData(t, r, map[string]any{"update_user": userJSON(u.ID, u.Email, "user", false)})
	expectErrors(t, gql(t, s, q, nil, u.Access), nil, fieldErr(q, "users", msgAdminOnly, "FORBIDDEN", nil))
	expectData(t, gql(t, s, `{ me { role } }`, nil, u.Access), map[string]any{"me": map[string]any{"role": "user"}})
}
