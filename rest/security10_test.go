package rest_test

import (
	"net/http"
	"strings"
	"testing"

	"fastcms/internal/apptest"
)

const (
	confirmSubject = "Confirm your new email"
	noticeSubject  = "Your email is being changed"
)

// TestSecurity10EmailChange: a stolen access token alone cannot move an
// account to another address. PATCH /auth/me no longer takes an email; the
// change needs the password, a confirmation by the new address, and the old
// address is told.
func TestSecurity10EmailChange(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t)
	acc := register(t, s, newEmail("e10"))
	other := login(t, s, acc.Email, password)
	taken := register(t, s, newEmail("e10taken"))
	newAddr := newEmail("e10new")

	t.Run("PATCH me refuses email", func(t *testing.T) {
		r := s.Do(t, http.MethodPatch, "/api/v1/auth/me", map[string]any{"email": "attacker@evil.example"}, acc.Access)
		apptest.ExpectError(t, r, http.StatusBadRequest, "bad request", `unknown field "email"`, map[string]string{"email": "is not a known field"})
		apptest.ExpectJSON(t, s.Do(t, http.MethodGet, "/api/v1/auth/me", nil, acc.Access), http.StatusOK, userJSON(acc.ID, acc.Email, "user", false))
	})
	t.Run("refusals", func(t *testing.T) {
		req := func(body map[string]any, token string) *apptest.Response {
			return s.Do(t, http.MethodPost, "/api/v1/auth/request-email-change", body, token)
		}
		expectUnauthorized(t, req(map[string]any{"new_email": newAddr, "password": password}, ""), "authentication required")
		apptest.ExpectError(t, req(map[string]any{"new_email": newAddr, "password": "wrong1234"}, acc.Access),
			http.StatusUnprocessableEntity, "validation failed", "password: is incorrect", map[string]string{"password": "is incorrect"})
		apptest.ExpectError(t, req(map[string]any{"new_email": newAddr}, acc.Access),
			http.StatusUnprocessableEntity, "validation failed", "password: is incorrect", map[string]string{"password": "is incorrect"})
		apptest.ExpectError(t, req(map[string]any{"new_email": "bad@", "password": password}, acc.Access),
			http.StatusUnprocessableEntity, "validation failed", "new_email: must be a valid email address", map[string]string{"new_email": "must be a valid email address"})
		apptest.ExpectError(t, req(map[string]any{"new_email": strings.ToUpper(acc.Email), "password": password}, acc.Access),
			http.StatusUnprocessableEntity, "validation failed", "new_email: is already the account's email", map[string]string{"new_email": "is already the account's email"})
		apptest.ExpectError(t, req(map[string]any{"new_email": taken.Email, "password": password}, acc.Access),
			http.StatusConflict, "conflict", "a user with this email already exists", nil)
		apptest.ExpectError(t, req(map[string]any{"email": newAddr, "password": password}, acc.Access),
			http.StatusBadRequest, "bad request", `unknown field "email"`, map[string]string{"email": "is not a known field"})
		if n := s.Mail.Count(newAddr, confirmSubject) + s.Mail.Count(acc.Email, noticeSubject); n != 0 {
			t.Fatalf("%d mails sent for refused requests", n)
		}
	})
	t.Run("request and confirm", func(t *testing.T) {
		r := s.Do(t, http.MethodPost, "/api/v1/auth/request-email-change", map[string]any{"new_email": " " + strings.ToUpper(newAddr), "password": password}, acc.Access)
		if r.Status != http.StatusNoContent || len(r.Body) != 0 {
			t.Fatalf("request-email-change: %d %s", r.Status, r.Body)
		}
		token := apptest.Token(t, s.Mail.Last(t, newAddr, confirmSubject))
		notice := s.Mail.Last(t, acc.Email, noticeSubject)
		if !strings.Contains(notice.Body, newAddr) || strings.Contains(notice.Body, token) {
			t.Fatalf("notice to the old address: %s", notice.Body)
		}
		// Nothing changes before the confirmation; the old password still logs in at the old address.
		apptest.ExpectJSON(t, s.Do(t, http.MethodGet, "/api/v1/auth/me", nil, acc.Access), http.StatusOK, userJSON(acc.ID, acc.Email, "user", false))

		r = s.Do(t, http.MethodPost, "/api/v1/auth/confirm-email-change", map[string]any{"token": token}, acc.Access)
		if r.Status != http.StatusNoContent {
			t.Fatalf("confirm-email-change: %d %s", r.Status, r.Body)
		}
		apptest.ExpectJSON(t, s.Do(t, http.MethodGet, "/api/v1/auth/me", nil, acc.Access), http.StatusOK, userJSON(acc.ID, newAddr, "user", true))
		expectUnauthorized(t, s.Do(t, http.MethodGet, "/api/v1/auth/me", nil, other.Access), "invalid or expired access token")
		expectUnauthorized(t, s.Do(t, http.MethodPost, "/api/v1/auth/login", map[string]any{"email": acc.Email, "password": password}, ""), "Invalid email or password")
		login(t, s, newAddr, password)

		r = s.Do(t, http.MethodPost, "/api/v1/auth/confirm-email-change", map[string]any{"token": token}, "")
		apptest.ExpectError(t, r, http.StatusBadRequest, "bad request", "invalid or expired token", nil)
	})
	t.Run("anonymous confirmation ends every session; a newer request kills the older token", func(t *testing.T) {
		b := register(t, s, newEmail("e10b"))
		first, second := newEmail("e10first"), newEmail("e10second")
		for _, addr := range []string{first, second} {
			if r := s.Do(t, http.MethodPost, "/api/v1/auth/request-email-change", map[string]any{"new_email": addr, "password": password}, b.Access); r.Status != http.StatusNoContent {
				t.Fatalf("request-email-change: %d %s", r.Status, r.Body)
			}
		}
		older := apptest.Token(t, s.Mail.Last(t, first, confirmSubject))
		newer := apptest.Token(t, s.Mail.Last(t, second, confirmSubject))
		apptest.ExpectError(t, s.Do(t, http.MethodPost, "/api/v1/auth/confirm-email-change", map[string]any{"token": older}, ""),
			http.StatusBadRequest, "bad request", "invalid or expired token", nil)
		if r := s.Do(t, http.MethodPost, "/api/v1/auth/confirm-email-change", map[string]any{"token": newer}, ""); r.Status != http.StatusNoContent {
			t.Fatalf("confirm-email-change: %d %s", r.Status, r.Body)
		}
		expectUnauthorized(t, s.Do(t, http.MethodGet, "/api/v1/auth/me", nil, b.Access), "invalid or expired access token")
		login(t, s, second, password)
	})
	t.Run("the address taken meanwhile is a conflict", func(t *testing.T) {
		c := register(t, s, newEmail("e10c"))
		addr := newEmail("e10race")
		if r := s.Do(t, http.MethodPost, "/api/v1/auth/request-email-change", map[string]any{"new_email": addr, "password": password}, c.Access); r.Status != http.StatusNoContent {
			t.Fatalf("request-email-change: %d %s", r.Status, r.Body)
		}
		token := apptest.Token(t, s.Mail.Last(t, addr, confirmSubject))
		register(t, s, addr)
		apptest.ExpectError(t, s.Do(t, http.MethodPost, "/api/v1/auth/confirm-email-change", map[string]any{"token": token}, ""),
			http.StatusConflict, "conflict", "a user with this email already exists", nil)
		apptest.ExpectJSON(t, s.Do(t, http.MethodGet, "/api/v1/auth/me", nil, c.Access), http.StatusOK, userJSON(c.ID, c.Email, "user", false))
	})
}
