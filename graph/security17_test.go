package graph_test

import (
	"testing"

	"fastcms/internal/apptest"
)

// TestSecurity17ResetTokenHygiene: through GraphQL too, a newer reset token
// kills the older one, and a password change kills the newer.
func TestSecurity17ResetTokenHygiene(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t)
	a := register(t, s, newEmail("r17"))
	rq := `mutation($e: String!) { request_password_reset(email: $e) }`
	request := func(n int) string {
		t.Helper()
		expectData(t, gql(t, s, rq, map[string]any{"e": a.Email}, ""), map[string]any{"request_password_reset": true})
		return apptest.Token(t, s.Mail.Nth(t, a.Email, "Reset your password", n))
	}
	refused := func(token string) {
		t.Helper()
		expectErrors(t, gql(t, s, resetQuery, map[string]any{"t": token, "p": "other-pass9", "c": "other-pass9"}, ""), nil,
			fieldErr(resetQuery, "reset_password", "invalid or expired token", "BAD_USER_INPUT", nil))
	}
	older := request(1)
	newer := request(2)
	refused(older)

	cq := `mutation($o: String!, $n: String!) { change_password(old_password: $o, new_password: $n, new_password_confirm: $n) }`
	expectData(t, gql(t, s, cq, map[string]any{"o": password, "n": "changed-pass9"}, a.Access), map[string]any{"change_password": true})
	refused(newer)
	login(t, s, a.Email, "changed-pass9")
}
