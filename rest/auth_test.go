package rest_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"fastcms/internal/apptest"
)

func TestRegister(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t)
	email := newEmail("reg")
	r := s.Do(t, http.MethodPost, "/api/v1/auth/register",
		map[string]any{"email": "  " + strings.ToUpper(email) + " ", "password": password, "password_confirm": password, "name": "Ada"}, "")
	want := userJSON(apptest.AnyUUID, email, "user", false)
	want["name"] = "Ada"
	apptest.ExpectJSON(t, r, http.StatusCreated, map[string]any{"user": want, "token": tokenJSON()})
	if got := r.Header.Get("X-Request-ID"); got == "" {
		t.Fatal("no X-Request-ID")
	}

	t.Run("duplicate email in another case", func(t *testing.T) {
		r := s.Do(t, http.MethodPost, "/api/v1/auth/register",
			map[string]any{"email": strings.ToUpper(email), "password": password, "password_confirm": password}, "")
		apptest.ExpectError(t, r, http.StatusConflict, "conflict", "a user with this email already exists", nil)
	})
	cases := []struct {
		name   string
		body   map[string]any
		fields map[string]string
	}{
		{"short password", map[string]any{"email": newEmail("x"), "password": "a1", "password_confirm": "a1"},
			map[string]string{"password": "must be 8 to 100 characters"}},
		{"no digit", map[string]any{"email": newEmail("x"), "password": "abcdefgh", "password_confirm": "abcdefgh"},
			map[string]string{"password": "must contain a letter and a digit"}},
		{"too long", map[string]any{"email": newEmail("x"), "password": strings.Repeat("a1", 51), "password_confirm": strings.Repeat("a1", 51)},
			map[string]string{"password": "must be 8 to 100 characters"}},
		{"mismatch", map[string]any{"email": newEmail("x"), "password": password, "password_confirm": password + "x"},
			map[string]string{"password_confirm": "does not match password"}},
		{"bad email and password", map[string]any{"email": "not-an-email", "password": "short", "password_confirm": "short"},
			map[string]string{"email": "must be a valid email address", "password": "must be 8 to 100 characters"}},
		{"missing email", map[string]any{"password": password, "password_confirm": password},
			map[string]string{"email": "is required"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := s.Do(t, http.MethodPost, "/api/v1/auth/register", c.body, "")
			msg := "validation failed"
			if len(c.fields) == 1 {
				for f, why := range c.fields {
					msg = f + ": " + why
				}
			}
			apptest.ExpectError(t, r, http.StatusUnprocessableEntity, "validation failed", msg, c.fields)
		})
	}
}

func TestLogin(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t)
	acc := register(t, s, newEmail("login"))

	r := s.Do(t, http.MethodPost, "/api/v1/auth/login", map[string]any{"email": strings.ToUpper(acc.Email), "password": password}, "")
	apptest.ExpectJSON(t, r, http.StatusOK, map[string]any{"user": userJSON(acc.ID, acc.Email, "user", false), "token": tokenJSON()})

	wrong := s.Do(t, http.MethodPost, "/api/v1/auth/login", map[string]any{"email": acc.Email, "password": "wrong1234"}, "")
	expectUnauthorized(t, wrong, "Invalid email or password")
	unknown := s.Do(t, http.MethodPost, "/api/v1/auth/login", map[string]any{"email": "nobody@example.com", "password": password}, "")
	expectUnauthorized(t, unknown, "Invalid email or password")
	if string(wrong.Body) != string(unknown.Body) {
		t.Fatalf("wrong password and unknown email answer differently:\n%s\n%s", wrong.Body, unknown.Body)
	}
}

func TestMe(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t)
	acc := register(t, s, newEmail("me"))
	apptest.ExpectJSON(t, s.Do(t, http.MethodGet, "/api/v1/auth/me", nil, acc.Access), http.StatusOK, userJSON(acc.ID, acc.Email, "user", false))
	expectUnauthorized(t, s.Do(t, http.MethodGet, "/api/v1/auth/me", nil, ""), "authentication required")
	expectUnauthorized(t, s.Do(t, http.MethodGet, "/api/v1/auth/me", nil, "garbage"), "invalid or expired access token")

	t.Run("cookie", func(t *testing.T) {
		r := s.Do(t, http.MethodGet, "/api/v1/auth/me", nil, "", "Cookie", "access_token="+acc.Access)
		apptest.ExpectJSON(t, r, http.StatusOK, userJSON(acc.ID, acc.Email, "user", false))
	})
	t.Run("patch", func(t *testing.T) {
		r := s.Do(t, http.MethodPatch, "/api/v1/auth/me", map[string]any{"name": strings.Repeat("n", 101)}, acc.Access)
		apptest.ExpectError(t, r, http.StatusUnprocessableEntity, "validation failed", "name: must be at most 100 characters",
			map[string]string{"name": "must be at most 100 characters"})

		// Name and avatar change; verification stays (the email changes
		// only through request-email-change, see TestSecurity10EmailChange).
		s.Do(t, http.MethodPost, "/api/v1/auth/verify-email", map[string]any{"token": apptest.Token(t, s.Mail.Last(t, acc.Email, "Verify your email"))}, "")
		r = s.Do(t, http.MethodPatch, "/api/v1/auth/me", map[string]any{"name": "Grace", "avatar": "https://img/x.png"}, acc.Access)
		want := userJSON(acc.ID, acc.Email, "user", true)
		want["name"], want["avatar"] = "Grace", "https://img/x.png"
		apptest.ExpectJSON(t, r, http.StatusOK, want)
	})
}

func TestRefreshRotationAndReuse(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t)
	acc := register(t, s, newEmail("refresh"))

	r := s.Do(t, http.MethodPost, "/api/v1/auth/refresh", map[string]any{"refresh_token": acc.Refresh}, "")
	apptest.ExpectJSON(t, r, http.StatusOK, tokenJSON())
	next := r.JSON(t)
	nextRefresh, nextAccess := next["refresh_token"].(string), next["access_token"].(string)
	if nextRefresh == acc.Refresh {
		t.Fatal("refresh token was not rotated")
	}
	apptest.ExpectJSON(t, s.Do(t, http.MethodGet, "/api/v1/auth/me", nil, nextAccess), http.StatusOK, userJSON(acc.ID, acc.Email, "user", false))

	// Presenting the rotated token again is reuse: the session dies, the
	// thief's and the victim's tokens alike.
	r = s.Do(t, http.MethodPost, "/api/v1/auth/refresh", map[string]any{"refresh_token": acc.Refresh}, "")
	expectUnauthorized(t, r, "refresh token was already used; the session has been revoked")
	r = s.Do(t, http.MethodPost, "/api/v1/auth/refresh", map[string]any{"refresh_token": nextRefresh}, "")
	expectUnauthorized(t, r, "refresh token expired or revoked")
	expectUnauthorized(t, s.Do(t, http.MethodGet, "/api/v1/auth/me", nil, nextAccess), "invalid or expired access token")

	r = s.Do(t, http.MethodPost, "/api/v1/auth/refresh", map[string]any{"refresh_token": "made-up"}, "")
	expectUnauthorized(t, r, "invalid refresh token")
	r = s.Do(t, http.MethodPost, "/api/v1/auth/refresh", map[string]any{}, "")
	apptest.ExpectError(t, r, http.StatusUnprocessableEntity, "validation failed", "refresh_token: is required", map[string]string{"refresh_token": "is required"})
}

func TestRefreshExpired(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t)
	acc := register(t, s, newEmail("expired"))
	db := s.DB(t)
	if _, err := db.Exec("UPDATE sessions SET expires_at = now() - interval '1 second' WHERE user_id = ?", acc.ID); err != nil {
		t.Fatal(err)
	}
	r := s.Do(t, http.MethodPost, "/api/v1/auth/refresh", map[string]any{"refresh_token": acc.Refresh}, "")
	expectUnauthorized(t, r, "refresh token expired or revoked")
}

func TestAccessTokenChecks(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t)
	acc := register(t, s, newEmail("jwt"))
	claims := func(exp time.Time) jwt.MapClaims {
		sid := sessionIDs(t, s, acc)[0]
		return jwt.MapClaims{"iss": "fastcms", "sub": acc.ID, "sid": sid, "iat": time.Now().Unix(), "exp": exp.Unix()}
	}
	sign := func(c jwt.MapClaims, secret string) string {
		tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString([]byte(secret))
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	valid := sign(claims(time.Now().Add(time.Minute)), apptest.Secret)
	apptest.ExpectJSON(t, s.Do(t, http.MethodGet, "/api/v1/auth/me", nil, valid), http.StatusOK, userJSON(acc.ID, acc.Email, "user", false))

	none, err := jwt.NewWithClaims(jwt.SigningMethodNone, claims(time.Now().Add(time.Minute))).SignedString(jwt.UnsafeAllowNoneSignatureType)
	if err != nil {
		t.Fatal(err)
	}
	noSid := claims(time.Now().Add(time.Minute))
	delete(noSid, "sid")
	for name, tok := range map[string]string{
		"expired":      sign(claims(time.Now().Add(-time.Second)), apptest.Secret),
		"other secret": sign(claims(time.Now().Add(time.Minute)), "another-secret-another-secret-000000"),
		"alg none":     none,
		"no session":   sign(noSid, apptest.Secret),
	} {
		t.Run(name, func(t *testing.T) {
			expectUnauthorized(t, s.Do(t, http.MethodGet, "/api/v1/auth/me", nil, tok), "invalid or expired access token")
		})
	}
}

func sessionIDs(t *testing.T, s *apptest.Server, acc account) []string {
	t.Helper()
	r := s.Do(t, http.MethodGet, "/api/v1/auth/sessions", nil, acc.Access)
	if r.Status != http.StatusOK {
		t.Fatalf("sessions: %d %s", r.Status, r.Body)
	}
	var ids []string
	for _, v := range decodeList(t, r) {
		ids = append(ids, v["id"].(string))
	}
	return ids
}

func TestLogoutAndLogoutAll(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t)
	email := newEmail("logout")
	first := register(t, s, email)
	second := login(t, s, email, password)

	r := s.Do(t, http.MethodPost, "/api/v1/auth/logout", map[string]any{"refresh_token": second.Refresh}, "")
	if r.Status != http.StatusNoContent || len(r.Body) != 0 {
		t.Fatalf("logout: %d %q", r.Status, r.Body)
	}
	// The session's refresh and access tokens are dead; logging out again is fine.
	expectUnauthorized(t, s.Do(t, http.MethodPost, "/api/v1/auth/refresh", map[string]any{"refresh_token": second.Refresh}, ""), "refresh token expired or revoked")
	expectUnauthorized(t, s.Do(t, http.MethodGet, "/api/v1/auth/me", nil, second.Access), "invalid or expired access token")
	if r := s.Do(t, http.MethodPost, "/api/v1/auth/logout", map[string]any{"refresh_token": second.Refresh}, ""); r.Status != http.StatusNoContent {
		t.Fatalf("second logout: %d", r.Status)
	}
	apptest.ExpectJSON(t, s.Do(t, http.MethodGet, "/api/v1/auth/me", nil, first.Access), http.StatusOK, userJSON(first.ID, email, "user", false))

	third := login(t, s, email, password)
	expectUnauthorized(t, s.Do(t, http.MethodPost, "/api/v1/auth/logout-all", nil, ""), "authentication required")
	if r := s.Do(t, http.MethodPost, "/api/v1/auth/logout-all", nil, first.Access); r.Status != http.StatusNoContent {
		t.Fatalf("logout-all: %d %s", r.Status, r.Body)
	}
	for _, acc := range []account{first, third} {
		expectUnauthorized(t, s.Do(t, http.MethodGet, "/api/v1/auth/me", nil, acc.Access), "invalid or expired access token")
		expectUnauthorized(t, s.Do(t, http.MethodPost, "/api/v1/auth/refresh", map[string]any{"refresh_token": acc.Refresh}, ""), "refresh token expired or revoked")
	}
	// A new login works again.
	fresh := login(t, s, email, password)
	apptest.ExpectJSON(t, s.Do(t, http.MethodGet, "/api/v1/auth/me", nil, fresh.Access), http.StatusOK, userJSON(first.ID, email, "user", false))
}

func TestLogoutAllReachesOtherInstance(t *testing.T) {
	t.Parallel()
	a, b := apptest.Start(t), apptest.Start(t)
	acc := register(t, a, newEmail("twoinst"))
	// b caches the user's live sessions on first use.
	apptest.ExpectJSON(t, b.Do(t, http.MethodGet, "/api/v1/auth/me", nil, acc.Access), http.StatusOK, userJSON(acc.ID, acc.Email, "user", false))
	if r := a.Do(t, http.MethodPost, "/api/v1/auth/logout-all", nil, acc.Access); r.Status != http.StatusNoContent {
		t.Fatalf("logout-all: %d", r.Status)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		r := b.Do(t, http.MethodGet, "/api/v1/auth/me", nil, acc.Access)
		if r.Status == http.StatusUnauthorized {
			expectUnauthorized(t, r, "invalid or expired access token")
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("instance b still accepts the token: %d", r.Status)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestChangePassword(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t)
	email := newEmail("chpw")
	current := register(t, s, email)
	other := login(t, s, email, password)

	r := s.Do(t, http.MethodPost, "/api/v1/auth/change-password", map[string]any{"old_password": "wrong1234", "new_password": "newpass123", "new_password_confirm": "newpass123"}, current.Access)
	apptest.ExpectError(t, r, http.StatusUnprocessableEntity, "validation failed", "old_password: is incorrect", map[string]string{"old_password": "is incorrect"})
	r = s.Do(t, http.MethodPost, "/api/v1/auth/change-password", map[string]any{"old_password": password, "new_password": "weak", "new_password_confirm": "weak"}, current.Access)
	apptest.ExpectError(t, r, http.StatusUnprocessableEntity, "validation failed", "new_password: must be 8 to 100 characters", map[string]string{"new_password": "must be 8 to 100 characters"})
	r = s.Do(t, http.MethodPost, "/api/v1/auth/change-password", map[string]any{"old_password": password, "new_password": "newpass123", "new_password_confirm": "newpass124"}, current.Access)
	apptest.ExpectError(t, r, http.StatusUnprocessableEntity, "validation failed", "new_password_confirm: does not match new_password", map[string]string{"new_password_confirm": "does not match new_password"})

	r = s.Do(t, http.MethodPost, "/api/v1/auth/change-password", map[string]any{"old_password": password, "new_password": "newpass123", "new_password_confirm": "newpass123"}, current.Access)
	if r.Status != http.StatusNoContent {
		t.Fatalf("change-password: %d %s", r.Status, r.Body)
	}
	apptest.ExpectJSON(t, s.Do(t, http.MethodGet, "/api/v1/auth/me", nil, current.Access), http.StatusOK, userJSON(current.ID, email, "user", false))
	expectUnauthorized(t, s.Do(t, http.MethodGet, "/api/v1/auth/me", nil, other.Access), "invalid or expired access token")
	expectUnauthorized(t, s.Do(t, http.MethodPost, "/api/v1/auth/login", map[string]any{"email": email, "password": password}, ""), "Invalid email or password")
	login(t, s, email, "newpass123")
}

func TestPasswordReset(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t)
	email := newEmail("reset")
	acc := register(t, s, email)

	for _, addr := range []string{email, "nobody@example.com"} {
		if r := s.Do(t, http.MethodPost, "/api/v1/auth/request-password-reset", map[string]any{"email": addr}, ""); r.Status != http.StatusNoContent {
			t.Fatalf("request-password-reset %s: %d %s", addr, r.Status, r.Body)
		}
	}
	token := apptest.Token(t, s.Mail.Last(t, email, "Reset your password"))
	r := s.Do(t, http.MethodPost, "/api/v1/auth/reset-password", map[string]any{"token": token, "password": "short", "password_confirm": "short"}, "")
	apptest.ExpectError(t, r, http.StatusUnprocessableEntity, "validation failed", "password: must be 8 to 100 characters", map[string]string{"password": "must be 8 to 100 characters"})
	r = s.Do(t, http.MethodPost, "/api/v1/auth/reset-password", map[string]any{"token": token, "password": "reset1234", "password_confirm": "reset1234"}, "")
	if r.Status != http.StatusNoContent {
		t.Fatalf("reset-password: %d %s", r.Status, r.Body)
	}
	// Every session ends; the token is spent; the new password works.
	expectUnauthorized(t, s.Do(t, http.MethodGet, "/api/v1/auth/me", nil, acc.Access), "invalid or expired access token")
	r = s.Do(t, http.MethodPost, "/api/v1/auth/reset-password", map[string]any{"token": token, "password": "again1234", "password_confirm": "again1234"}, "")
	apptest.ExpectError(t, r, http.StatusBadRequest, "bad request", "invalid or expired token", nil)
	login(t, s, email, "reset1234")
}

func TestVerifyEmail(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t)
	email := newEmail("verify")
	acc := register(t, s, email)
	first := apptest.Token(t, s.Mail.Last(t, email, "Verify your email"))
	if r := s.Do(t, http.MethodPost, "/api/v1/auth/request-verification", map[string]any{"email": email}, ""); r.Status != http.StatusNoContent {
		t.Fatalf("request-verification: %d", r.Status)
	}
	second := apptest.Token(t, s.Mail.Nth(t, email, "Verify your email", 2)) // mail goes out in the background
	if first == second {
		t.Fatal("a new verification mail reused the token")
	}
	r := s.Do(t, http.MethodPost, "/api/v1/auth/verify-email", map[string]any{"token": "nope"}, "")
	apptest.ExpectError(t, r, http.StatusBadRequest, "bad request", "invalid or expired token", nil)
	if r := s.Do(t, http.MethodPost, "/api/v1/auth/verify-email", map[string]any{"token": second}, ""); r.Status != http.StatusNoContent {
		t.Fatalf("verify-email: %d %s", r.Status, r.Body)
	}
	apptest.ExpectJSON(t, s.Do(t, http.MethodGet, "/api/v1/auth/me", nil, acc.Access), http.StatusOK, userJSON(acc.ID, email, "user", true))
}

func TestSessions(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t)
	email := newEmail("sess")
	first := register(t, s, email)
	second := login(t, s, email, password)
	stranger := register(t, s, newEmail("stranger"))

	r := s.Do(t, http.MethodGet, "/api/v1/auth/sessions", nil, first.Access, "User-Agent", "ignored")
	sessions := decodeList(t, r)
	if len(sessions) != 2 {
		t.Fatalf("%d sessions, want 2: %s", len(sessions), r.Body)
	}
	var firstID, secondID string
	for _, sess := range sessions {
		if d := apptest.Diff(sess, map[string]any{"id": apptest.AnyUUID, "user_agent": "Go-http-client/1.1", "ip": "127.0.0.1",
			"created": apptest.AnyTime, "last_used": apptest.AnyTime, "expires_at": apptest.AnyTime, "current": sess["current"]}, "$"); d != "" {
			t.Fatal(d)
		}
		if sess["current"] == true {
			firstID = sess["id"].(string)
		} else {
			secondID = sess["id"].(string)
		}
	}
	if firstID == "" || secondID == "" {
		t.Fatalf("want one current and one other session: %s", r.Body)
	}
	apptest.ExpectError(t, s.Do(t, http.MethodDelete, "/api/v1/auth/sessions/"+secondID, nil, stranger.Access), http.StatusNotFound, "not found", "session not found", nil)
	apptest.ExpectError(t, s.Do(t, http.MethodDelete, "/api/v1/auth/sessions/not-a-uuid", nil, first.Access), http.StatusNotFound, "not found", "session not found", nil)
	if r := s.Do(t, http.MethodDelete, "/api/v1/auth/sessions/"+secondID, nil, first.Access); r.Status != http.StatusNoContent {
		t.Fatalf("revoke: %d %s", r.Status, r.Body)
	}
	expectUnauthorized(t, s.Do(t, http.MethodGet, "/api/v1/auth/me", nil, second.Access), "invalid or expired access token")
	if ids := sessionIDs(t, s, first); len(ids) != 1 || ids[0] != firstID {
		t.Fatalf("sessions after revoke: %v", ids)
	}
}

func TestDeleteMe(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t)
	acc := register(t, s, newEmail("bye"))
	if r := s.Do(t, http.MethodDelete, "/api/v1/auth/me", nil, acc.Access); r.Status != http.StatusNoContent {
		t.Fatalf("delete me: %d %s", r.Status, r.Body)
	}
	expectUnauthorized(t, s.Do(t, http.MethodGet, "/api/v1/auth/me", nil, acc.Access), "invalid or expired access token")
	expectUnauthorized(t, s.Do(t, http.MethodPost, "/api/v1/auth/login", map[string]any{"email": acc.Email, "password": password}, ""), "Invalid email or password")
}
