package graph_test

import (
	"strings"
	"testing"

	"fastcms/internal/apptest"
)

const registerQuery = `mutation($e: String!, $p: String!, $c: String!, $n: String) {
  register(email: $e, password: $p, password_confirm: $c, name: $n) { ` + authFields + ` }
}`

func TestRegister(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t)

	email := newEmail("reg")
	mixed := strings.ToUpper(email[:1]) + email[1:]
	r := gql(t, s, registerQuery, map[string]any{"e": "  " + mixed + " ", "p": password, "c": password, "n": "Ada"}, "")
	want := userJSON(apptest.AnyUUID, email, "user", false)
	want["name"] = "Ada"
	expectData(t, r, map[string]any{"register": map[string]any{"user": want, "token": tokenJSON()}})
	a := accountFrom(t, r, "register")

	// The tokens work at once, and the account awaits verification by mail.
	expectSignedIn(t, s, a.Access, a)
	if tok := apptest.Token(t, s.Mail.Last(t, email, "Verify your email")); tok == "" {
		t.Fatal("empty verification token")
	}

	t.Run("duplicate email in another case", func(t *testing.T) {
		r := gql(t, s, registerQuery, map[string]any{"e": strings.ToUpper(email), "p": password, "c": password}, "")
		expectErrors(t, r, nil, fieldErr(registerQuery, "register", "a user with this email already exists", "CONFLICT", nil))
	})

	for _, tc := range []struct {
		name            string
		email, pw, conf string
		nameArg         any
		message         string
		fields          map[string]string
	}{
		{"short password", newEmail("weak"), "abc1", "abc1", nil, "password: must be 8 to 100 characters",
			map[string]string{"password": "must be 8 to 100 characters"}},
		{"password without digit", newEmail("weak"), "abcdefghij", "abcdefghij", nil, "password: must contain a letter and a digit",
			map[string]string{"password": "must contain a letter and a digit"}},
		{"password without letter", newEmail("weak"), "1234567890", "1234567890", nil, "password: must contain a letter and a digit",
			map[string]string{"password": "must contain a letter and a digit"}},
		{"password too long", newEmail("weak"), strings.Repeat("a1", 51), strings.Repeat("a1", 51), nil, "password: must be 8 to 100 characters",
			map[string]string{"password": "must be 8 to 100 characters"}},
		{"mismatched confirmation", newEmail("conf"), password, password + "x", nil, "password_confirm: does not match password",
			map[string]string{"password_confirm": "does not match password"}},
		{"invalid email", "not-an-email", password, password, nil, "email: must be a valid email address",
			map[string]string{"email": "must be a valid email address"}},
		{"email without a dot in the domain", "someone@localhost", password, password, nil, "email: must be a valid email address",
			map[string]string{"email": "must be a valid email address"}},
		{"empty email", "", password, password, nil, "email: is required",
			map[string]string{"email": "is required"}},
		{"name too long", newEmail("name"), password, password, strings.Repeat("n", 101), "name: must be at most 100 characters",
			map[string]string{"name": "must be at most 100 characters"}},
		{"several problems", "nope", "short", "other", nil, "validation failed",
			map[string]string{"email": "must be a valid email address", "password": "must be 8 to 100 characters"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := gql(t, s, registerQuery, map[string]any{"e": tc.email, "p": tc.pw, "c": tc.conf, "n": tc.nameArg}, "")
			expectErrors(t, r, nil, fieldErr(registerQuery, "register", tc.message, "BAD_USER_INPUT", tc.fields))
			// Nothing was made: the address can still register.
			if strings.HasSuffix(tc.email, "@example.com") {
				register(t, s, tc.email)
			}
		})
	}
}

func TestLogin(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t)
	a := register(t, s, newEmail("login"))
	q := `mutation($e: String!, $p: String!) { login(email: $e, password: $p) { ` + authFields + ` } }`

	t.Run("success, email in any case", func(t *testing.T) {
		r := gql(t, s, q, map[string]any{"e": strings.ToUpper(a.Email), "p": password}, "")
		expectData(t, r, map[string]any{"login": map[string]any{"user": userJSON(a.ID, a.Email, "user", false), "token": tokenJSON()}})
		b := accountFrom(t, r, "login")
		if b.Refresh == a.Refresh {
			t.Fatal("a login reused the tokens of another session")
		}
		expectSignedIn(t, s, b.Access, a)
	})

	// A wrong password and an unknown email are indistinguishable.
	for name, vars := range map[string]map[string]any{
		"wrong password": {"e": a.Email, "p": "wrong-password1"},
		"unknown email":  {"e": newEmail("nobody"), "p": password},
		"invalid email":  {"e": "not an email", "p": password},
		"empty password": {"e": a.Email, "p": ""},
	} {
		t.Run(name, func(t *testing.T) {
			expectErrors(t, gql(t, s, q, vars, ""), nil, fieldErr(q, "login", msgBadLogin, "UNAUTHENTICATED", nil))
		})
	}
}

func TestRefreshTokenRotation(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t)
	first := register(t, s, newEmail("rotate"))
	other := login(t, s, first.Email, password) // a second session of the same user

	second := refresh(t, s, first)
	// (The access token may equal the old one: same session, same second.)
	if second.Refresh == first.Refresh {
		t.Fatal("refresh did not issue a new refresh token")
	}
	expectSignedIn(t, s, second.Access, first)
	// Rotation alone does not end the session: its older access token lives on.
	expectSignedIn(t, s, first.Access, first)

	// Presenting the rotated token again is taken as theft: it fails, and
	// the whole session dies, the new refresh token and access tokens too.
	expectRefreshFails(t, s, first.Refresh, "refresh token was already used; the session has been revoked")
	expectRefreshFails(t, s, second.Refresh, "refresh token expired or revoked")
	expectRefreshFails(t, s, first.Refresh, "refresh token expired or revoked")
	expectSignedOut(t, s, second.Access)
	expectSignedOut(t, s, first.Access)

	// The user's other session is untouched.
	expectSignedIn(t, s, other.Access, first)
	refresh(t, s, other)

	q := `mutation($r: String!) { refresh_token(refresh_token: $r) { access_token } }`
	t.Run("unknown token", func(t *testing.T) {
		expectRefreshFails(t, s, "not-a-refresh-token", "invalid refresh token")
	})
	t.Run("access token as refresh token", func(t *testing.T) {
		expectRefreshFails(t, s, other.Access, "invalid refresh token")
	})
	t.Run("empty token", func(t *testing.T) {
		expectErrors(t, gql(t, s, q, map[string]any{"r": ""}, ""), nil,
			fieldErr(q, "refresh_token", "refresh_token: is required", "BAD_USER_INPUT", map[string]string{"refresh_token": "is required"}))
	})
}

func TestLogout(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t)
	a := register(t, s, newEmail("logout"))
	other := login(t, s, a.Email, password)
	q := `mutation($r: String!) { logout(refresh_token: $r) }`

	expectData(t, gql(t, s, q, map[string]any{"r": a.Refresh}, ""), map[string]any{"logout": true})
	expectRefreshFails(t, s, a.Refresh, "refresh token expired or revoked")
	expectSignedOut(t, s, a.Access)
	expectSignedIn(t, s, other.Access, a)

	// Logging out is idempotent: the goal, a dead session, holds.
	expectData(t, gql(t, s, q, map[string]any{"r": a.Refresh}, ""), map[string]any{"logout": true})
	expectData(t, gql(t, s, q, map[string]any{"r": "never-issued"}, ""), map[string]any{"logout": true})
	expectErrors(t, gql(t, s, q, map[string]any{"r": ""}, ""), nil,
		fieldErr(q, "logout", "refresh_token: is required", "BAD_USER_INPUT", map[string]string{"refresh_token": "is required"}))

	// A rotated refresh token logs out its session too.
	rotated := refresh(t, s, other)
	expectData(t, gql(t, s, q, map[string]any{"r": other.Refresh}, ""), map[string]any{"logout": true})
	expectRefreshFails(t, s, rotated.Refresh, "refresh token expired or revoked")
	expectSignedOut(t, s, rotated.Access)
}

func TestLogoutAll(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t)
	a := register(t, s, newEmail("all"))
	b := login(t, s, a.Email, password)
	c := refresh(t, s, login(t, s, a.Email, password))
	bystander := register(t, s, newEmail("bystander"))
	q := `mutation { logout_all }`

	expectErrors(t, gql(t, s, q, nil, ""), nil, fieldErr(q, "logout_all", msgAuthRequired, "UNAUTHENTICATED", nil))

	expectData(t, gql(t, s, q, nil, b.Access), map[string]any{"logout_all": true})
	for _, x := range []account{a, b, c} {
		expectSignedOut(t, s, x.Access)
		expectRefreshFails(t, s, x.Refresh, "refresh token expired or revoked")
	}
	// With its token dead the caller cannot log out everywhere again.
	expectErrors(t, gql(t, s, q, nil, b.Access), nil, fieldErr(q, "logout_all", msgBadToken, "UNAUTHENTICATED", nil))
	expectSignedIn(t, s, bystander.Access, bystander)

	// A new login works as before.
	d := login(t, s, a.Email, password)
	expectSignedIn(t, s, d.Access, a)
}

func TestMe(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t)
	a := register(t, s, newEmail("me"))
	q := `{ me { ` + userFields + ` } }`

	expectData(t, gql(t, s, q, nil, ""), map[string]any{"me": nil})
	expectData(t, gql(t, s, q, nil, a.Access), map[string]any{"me": userJSON(a.ID, a.Email, "user", false)})
	// An unusable credential counts as anonymous for me, which is nullable.
	expectData(t, gql(t, s, q, nil, "not-a-jwt"), map[string]any{"me": nil})
}

const updateMeQuery = `mutation($n: String, $a: String) { update_me(name: $n, avatar: $a) { ` + userFields + ` } }`

func TestUpdateMe(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t)
	a := register(t, s, newEmail("upd"))
	verify(t, s, a.Email)

	// Name and avatar change; verification stays.
	r := gql(t, s, updateMeQuery, map[string]any{"n": "Grace", "a": "https://example.com/g.png"}, a.Access)
	want := userJSON(a.ID, a.Email, "user", true)
	want["name"], want["avatar"] = "Grace", "https://example.com/g.png"
	expectData(t, r, map[string]any{"update_me": want})

	// Omitted arguments leave fields as they are.
	expectData(t, gql(t, s, updateMeQuery, nil, a.Access), map[string]any{"update_me": want})

	// The email is not changed here: see TestSecurity10EmailChange.
	for _, tc := range []struct {
		name    string
		vars    map[string]any
		message string
		code    string
		fields  map[string]string
	}{
		{"name too long", map[string]any{"n": strings.Repeat("x", 101)}, "name: must be at most 100 characters", "BAD_USER_INPUT",
			map[string]string{"name": "must be at most 100 characters"}},
		{"avatar too long", map[string]any{"a": strings.Repeat("x", 2049)}, "avatar: must be at most 2048 characters", "BAD_USER_INPUT",
			map[string]string{"avatar": "must be at most 2048 characters"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			expectErrors(t, gql(t, s, updateMeQuery, tc.vars, a.Access), nil, fieldErr(updateMeQuery, "update_me", tc.message, tc.code, tc.fields))
			// Nothing changed.
			expectData(t, gql(t, s, `{ me { `+userFields+` } }`, nil, a.Access), map[string]any{"me": want})
		})
	}

	t.Run("anonymous", func(t *testing.T) {
		expectErrors(t, gql(t, s, updateMeQuery, map[string]any{"n": "x"}, ""), nil,
			fieldErr(updateMeQuery, "update_me", msgAuthRequired, "UNAUTHENTICATED", nil))
	})
}

// verify verifies email with the token of the newest verification mail to it.
func verify(t *testing.T, s *apptest.Server, email string) {
	t.Helper()
	tok := apptest.Token(t, s.Mail.Last(t, email, "Verify your email"))
	expectData(t, gql(t, s, `mutation($t: String!) { verify_email(token: $t) }`, map[string]any{"t": tok}, ""), map[string]any{"verify_email": true})
}

func TestDeleteMe(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t)
	a := register(t, s, newEmail("gone"))
	q := `mutation { delete_me }`

	expectErrors(t, gql(t, s, q, nil, ""), nil, fieldErr(q, "delete_me", msgAuthRequired, "UNAUTHENTICATED", nil))
	expectData(t, gql(t, s, q, nil, a.Access), map[string]any{"delete_me": true})
	expectSignedOut(t, s, a.Access)
	expectRefreshFails(t, s, a.Refresh, "invalid refresh token")
	lq := `mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token { access_token } } }`
	expectErrors(t, gql(t, s, lq, map[string]any{"e": a.Email, "p": password}, ""), nil, fieldErr(lq, "login", msgBadLogin, "UNAUTHENTICATED", nil))
	// The address is free again.
	register(t, s, a.Email)
}

const changePasswordQuery = `mutation($o: String!, $n: String!, $c: String!) {
  change_password(old_password: $o, new_password: $n, new_password_confirm: $c)
}`

func TestChangePassword(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t)
	a := register(t, s, newEmail("chpw"))
	other := login(t, s, a.Email, password)
	const newPassword = "n3w-password"

	for _, tc := range []struct {
		name          string
		old, new, cfm string
		message       string
		fields        map[string]string
	}{
		{"wrong old password", "wrong-pass1", newPassword, newPassword, "old_password: is incorrect", map[string]string{"old_password": "is incorrect"}},
		{"weak new password", password, "short1", "short1", "new_password: must be 8 to 100 characters",
			map[string]string{"new_password": "must be 8 to 100 characters"}},
		{"mismatched confirmation", password, newPassword, newPassword + "!", "new_password_confirm: does not match new_password",
			map[string]string{"new_password_confirm": "does not match new_password"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := gql(t, s, changePasswordQuery, map[string]any{"o": tc.old, "n": tc.new, "c": tc.cfm}, a.Access)
			expectErrors(t, r, nil, fieldErr(changePasswordQuery, "change_password", tc.message, "BAD_USER_INPUT", tc.fields))
		})
	}
	expectSignedIn(t, s, other.Access, a) // failures revoke nothing

	expectErrors(t, gql(t, s, changePasswordQuery, map[string]any{"o": password, "n": newPassword, "c": newPassword}, ""), nil,
		fieldErr(changePasswordQuery, "change_password", msgAuthRequired, "UNAUTHENTICATED", nil))

	r := gql(t, s, changePasswordQuery, map[string]any{"o": password, "n": newPassword, "c": newPassword}, a.Access)
	expectData(t, r, map[string]any{"change_password": true})

	// Every other session ends; the current one keeps working.
	expectSignedOut(t, s, other.Access)
	expectRefreshFails(t, s, other.Refresh, "refresh token expired or revoked")
	expectSignedIn(t, s, a.Access, a)
	refresh(t, s, a)

	lq := `mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token { access_token } } }`
	expectErrors(t, gql(t, s, lq, map[string]any{"e": a.Email, "p": password}, ""), nil, fieldErr(lq, "login", msgBadLogin, "UNAUTHENTICATED", nil))
	login(t, s, a.Email, newPassword)
}

const resetQuery = `mutation($t: String!, $p: String!, $c: String!) { reset_password(token: $t, password: $p, password_confirm: $c) }`

func TestPasswordReset(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t)
	a := register(t, s, newEmail("reset"))
	other := login(t, s, a.Email, password)
	rq := `mutation($e: String!) { request_password_reset(email: $e) }`
	const newPassword = "reset-pass9"

	// The answer is the same whether or not the account exists.
	nobody := newEmail("nobody")
	expectData(t, gql(t, s, rq, map[string]any{"e": nobody}, ""), map[string]any{"request_password_reset": true})
	expectData(t, gql(t, s, rq, map[string]any{"e": strings.ToUpper(a.Email)}, ""), map[string]any{"request_password_reset": true})
	expectErrors(t, gql(t, s, rq, map[string]any{"e": "not-an-email"}, ""), nil,
		fieldErr(rq, "request_password_reset", "email: must be a valid email address", "BAD_USER_INPUT",
			map[string]string{"email": "must be a valid email address"}))
	token := apptest.Token(t, s.Mail.Last(t, a.Email, "Reset your password"))

	for _, tc := range []struct {
		name      string
		tok, p, c string
		message   string
		fields    map[string]string
	}{
		{"weak password", token, "weakling", "weakling", "password: must contain a letter and a digit",
			map[string]string{"password": "must contain a letter and a digit"}},
		{"mismatched confirmation", token, newPassword, "other-pass9", "password_confirm: does not match password",
			map[string]string{"password_confirm": "does not match password"}},
		{"unknown token", "not-a-token", newPassword, newPassword, "invalid or expired token", nil},
		{"empty token", "", newPassword, newPassword, "token: is required", map[string]string{"token": "is required"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := gql(t, s, resetQuery, map[string]any{"t": tc.tok, "p": tc.p, "c": tc.c}, "")
			expectErrors(t, r, nil, fieldErr(resetQuery, "reset_password", tc.message, "BAD_USER_INPUT", tc.fields))
		})
	}
	// A verification token is not a reset token.
	vt := apptest.Token(t, s.Mail.Last(t, a.Email, "Verify your email"))
	expectErrors(t, gql(t, s, resetQuery, map[string]any{"t": vt, "p": newPassword, "c": newPassword}, ""), nil,
		fieldErr(resetQuery, "reset_password", "invalid or expired token", "BAD_USER_INPUT", nil))
	expectSignedIn(t, s, a.Access, a) // failed attempts change nothing

	expectData(t, gql(t, s, resetQuery, map[string]any{"t": token, "p": newPassword, "c": newPassword}, ""), map[string]any{"reset_password": true})

	// Every session ends; only the new password logs in; the token is spent.
	for _, x := range []account{a, other} {
		expectSignedOut(t, s, x.Access)
		expectRefreshFails(t, s, x.Refresh, "refresh token expired or revoked")
	}
	lq := `mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token { access_token } } }`
	expectErrors(t, gql(t, s, lq, map[string]any{"e": a.Email, "p": password}, ""), nil, fieldErr(lq, "login", msgBadLogin, "UNAUTHENTICATED", nil))
	login(t, s, a.Email, newPassword)
	expectErrors(t, gql(t, s, resetQuery, map[string]any{"t": token, "p": "another-pass9", "c": "another-pass9"}, ""), nil,
		fieldErr(resetQuery, "reset_password", "invalid or expired token", "BAD_USER_INPUT", nil))
}

func TestVerifyEmail(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t)
	a := register(t, s, newEmail("verify"))
	first := apptest.Token(t, s.Mail.Last(t, a.Email, "Verify your email"))
	rq := `mutation($e: String!) { request_verification(email: $e) }`
	vq := `mutation($t: String!) { verify_email(token: $t) }`
	mq := `{ me { verified } }`

	// Asking again mails a second, different token; unknown emails get the same answer.
	expectData(t, gql(t, s, rq, map[string]any{"e": a.Email}, ""), map[string]any{"request_verification": true})
	second := apptest.Token(t, s.Mail.Nth(t, a.Email, "Verify your email", 2)) // mail goes out in the background
	if second == first {
		t.Fatal("request_verification mailed the same token again")
	}
	expectData(t, gql(t, s, rq, map[string]any{"e": newEmail("nobody")}, ""), map[string]any{"request_verification": true})

	expectErrors(t, gql(t, s, vq, map[string]any{"t": "bogus"}, ""), nil,
		fieldErr(vq, "verify_email", "invalid or expired token", "BAD_USER_INPUT", nil))
	expectErrors(t, gql(t, s, vq, map[string]any{"t": ""}, ""), nil,
		fieldErr(vq, "verify_email", "token: is required", "BAD_USER_INPUT", map[string]string{"token": "is required"}))
	expectData(t, gql(t, s, mq, nil, a.Access), map[string]any{"me": map[string]any{"verified": false}})

	expectData(t, gql(t, s, vq, map[string]any{"t": first}, ""), map[string]any{"verify_email": true})
	expectData(t, gql(t, s, mq, nil, a.Access), map[string]any{"me": map[string]any{"verified": true}})
	// A token is spent once used.
	expectErrors(t, gql(t, s, vq, map[string]any{"t": first}, ""), nil,
		fieldErr(vq, "verify_email", "invalid or expired token", "BAD_USER_INPUT", nil))

	// A verified account gets no more verification mail. Mail goes out in
	// the background, in order: once a later reset mail has arrived, a
	// verification mail would have too.
	expectData(t, gql(t, s, rq, map[string]any{"e": a.Email}, ""), map[string]any{"request_verification": true})
	expectData(t, gql(t, s, `mutation($e: String!) { request_password_reset(email: $e) }`, map[string]any{"e": a.Email}, ""),
		map[string]any{"request_password_reset": true})
	s.Mail.Last(t, a.Email, "Reset your password")
	if n := s.Mail.Count(a.Email, "Verify your email"); n != 2 {
		t.Fatalf("%d verification mails, want 2: a verified account was mailed again", n)
	}
}

const sessionsQuery = `{ sessions { id user_agent ip created last_used expires_at current } }`

func TestSessions(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t)
	email := newEmail("sess")
	r := gql(t, s, registerQuery, map[string]any{"e": email, "p": password, "c": password}, "", "User-Agent", "agent-a")
	a := accountFrom(t, r, "register")
	b := login(t, s, email, password, "User-Agent", "agent-b")
	stranger := register(t, s, newEmail("stranger"))

	session := func(ua string, current bool) map[string]any {
		return map[string]any{"id": apptest.AnyUUID, "user_agent": ua, "ip": "127.0.0.1", "created": apptest.AnyTime,
			"last_used": apptest.AnyTime, "expires_at": apptest.AnyTime, "current": current}
	}
	// Newest use first; current marks the caller's own.
	r = gql(t, s, sessionsQuery, nil, a.Access)
	expectData(t, r, map[string]any{"sessions": []any{session("agent-b", false), session("agent-a", true)}})
	list := r.JSON(t)["data"].(map[string]any)["sessions"].([]any)
	idB, idA := list[0].(map[string]any)["id"].(string), list[1].(map[string]any)["id"].(string)
	expectData(t, gql(t, s, sessionsQuery, nil, b.Access),
		map[string]any{"sessions": []any{session("agent-b", true), session("agent-a", false)}})
	if created, expires := list[0].(map[string]any)["created"].(string), list[0].(map[string]any)["expires_at"].(string); !sameInstantPlus30Days(t, created, expires) {
		t.Fatalf("session created %s expires %s, want 30 days later", created, expires)
	}

	q := `mutation($id: ID!) { revoke_session(id: $id) }`
	t.Run("another user's session", func(t *testing.T) {
		expectErrors(t, gql(t, s, q, map[string]any{"id": idB}, stranger.Access), nil,
			fieldErr(q, "revoke_session", "session not found", "NOT_FOUND", nil))
	})
	t.Run("malformed id", func(t *testing.T) {
		expectErrors(t, gql(t, s, q, map[string]any{"id": "nope"}, a.Access), nil,
			fieldErr(q, "revoke_session", "session not found", "NOT_FOUND", nil))
	})
	t.Run("anonymous", func(t *testing.T) {
		expectErrors(t, gql(t, s, q, map[string]any{"id": idB}, ""), nil, fieldErr(q, "revoke_session", msgAuthRequired, "UNAUTHENTICATED", nil))
		expectErrors(t, gql(t, s, sessionsQuery, nil, ""), nil, fieldErr(sessionsQuery, "sessions", msgAuthRequired, "UNAUTHENTICATED", nil))
	})
	expectSignedIn(t, s, b.Access, a)

	expectData(t, gql(t, s, q, map[string]any{"id": idB}, a.Access), map[string]any{"revoke_session": true})
	expectSignedOut(t, s, b.Access)
	expectRefreshFails(t, s, b.Refresh, "refresh token expired or revoked")
	expectData(t, gql(t, s, sessionsQuery, nil, a.Access), map[string]any{"sessions": []any{session("agent-a", true)}})
	// A revoked session is gone: revoking it again is a 404.
	expectErrors(t, gql(t, s, q, map[string]any{"id": idB}, a.Access), nil, fieldErr(q, "revoke_session", "session not found", "NOT_FOUND", nil))

	// Revoking the current session signs the caller out.
	expectData(t, gql(t, s, q, map[string]any{"id": idA}, a.Access), map[string]any{"revoke_session": true})
	expectSignedOut(t, s, a.Access)
}
