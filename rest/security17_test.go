package rest_test

import (
	"net/http"
	"testing"

	"fastcms/internal/apptest"
)

const resetSubject = "Reset your password"

// requestReset asks for a reset mail for email and returns its token.
func requestReset(t *testing.T, s *apptest.Server, email string) string {
	t.Helper()
	n := s.Mail.Count(email, resetSubject)
	if r := s.Do(t, http.MethodPost, "/api/v1/auth/request-password-reset", map[string]any{"email": email}, ""); r.Status != http.StatusNoContent {
		t.Fatalf("request-password-reset: %d %s", r.Status, r.Body)
	}
	return apptest.Token(t, s.Mail.Nth(t, email, resetSubject, n+1))
}

func expectResetRefused(t *testing.T, s *apptest.Server, token string) {
	t.Helper()
	r := s.Do(t, http.MethodPost, "/api/v1/auth/reset-password", map[string]any{"token": token, "password": "other1234", "password_confirm": "other1234"}, "")
	apptest.ExpectError(t, r, http.StatusBadRequest, "bad request", "invalid or expired token", nil)
}

// TestSecurity17ResetTokenHygiene: a reset token dies when a newer one is
// issued, when the password changes (by the user, by an admin, or by a
// reset), so a leaked older mail is worth nothing.
func TestSecurity17ResetTokenHygiene(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t)

	t.Run("a newer token kills the older", func(t *testing.T) {
		acc := register(t, s, newEmail("r17new"))
		older := requestReset(t, s, acc.Email)
		newer := requestReset(t, s, acc.Email)
		expectResetRefused(t, s, older)
		r := s.Do(t, http.MethodPost, "/api/v1/auth/reset-password", map[string]any{"token": newer, "password": "reset1234", "password_confirm": "reset1234"}, "")
		if r.Status != http.StatusNoContent {
			t.Fatalf("newest token: %d %s", r.Status, r.Body)
		}
		login(t, s, acc.Email, "reset1234")
	})
	t.Run("a password change kills it", func(t *testing.T) {
		acc := register(t, s, newEmail("r17chpw"))
		token := requestReset(t, s, acc.Email)
		r := s.Do(t, http.MethodPost, "/api/v1/auth/change-password",
			map[string]any{"old_password": password, "new_password": "changed123", "new_password_confirm": "changed123"}, acc.Access)
		if r.Status != http.StatusNoContent {
			t.Fatalf("change-password: %d %s", r.Status, r.Body)
		}
		expectResetRefused(t, s, token)
		login(t, s, acc.Email, "changed123")
	})
	t.Run("an admin setting the password kills it", func(t *testing.T) {
		root := admin(t, s)
		acc := register(t, s, newEmail("r17admin"))
		token := requestReset(t, s, acc.Email)
		if r := s.Do(t, http.MethodPatch, "/api/v1/admin/users/"+acc.ID, map[string]any{"password": "byadmin123"}, root.Access); r.Status != http.StatusOK {
			t.Fatalf("admin password: %d %s", r.Status, r.Body)
		}
		expectResetRefused(t, s, token)
		login(t, s, acc.Email, "byadmin123")
	})
	t.Run("other mails do not kill it", func(t *testing.T) {
		acc := register(t, s, newEmail("r17verify"))
		token := requestReset(t, s, acc.Email)
		if r := s.Do(t, http.MethodPost, "/api/v1/auth/request-verification", map[string]any{"email": acc.Email}, ""); r.Status != http.StatusNoContent {
			t.Fatalf("request-verification: %d %s", r.Status, r.Body)
		}
		s.Mail.Nth(t, acc.Email, "Verify your email", 2)
		r := s.Do(t, http.MethodPost, "/api/v1/auth/reset-password", map[string]any{"token": token, "password": "reset1234", "password_confirm": "reset1234"}, "")
		if r.Status != http.StatusNoContent {
			t.Fatalf("reset after a verification mail: %d %s", r.Status, r.Body)
		}
	})
}
