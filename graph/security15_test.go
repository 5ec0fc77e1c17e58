package graph_test

import (
	"net/http"
	"regexp"
	"testing"

	"fastcms/internal/app"
	"fastcms/internal/apptest"
	"fastcms/internal/config"
)

// TestSecurity15Throttling: the limits are the service's, so GraphQL shares
// them with REST: attempts through either API count against one budget.
func TestSecurity15Throttling(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t, func(c *config.Config, _ *app.Options) { c.Throttle.PerIP, c.Throttle.PerAccount = 100, 3 })
	a := register(t, s, newEmail("t15"))
	lq := `mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token { access_token } } }`
	for range 2 {
		expectErrors(t, gql(t, s, lq, map[string]any{"e": a.Email, "p": "wrong1234"}, ""), nil, fieldErr(lq, "login", msgBadLogin, "UNAUTHENTICATED", nil))
	}
	r := s.Do(t, http.MethodPost, "/api/v1/auth/login", map[string]any{"email": a.Email, "password": "wrong1234"}, "")
	if r.Status != http.StatusUnauthorized {
		t.Fatalf("REST login: %d %s", r.Status, r.Body)
	}
	r = gql(t, s, lq, map[string]any{"e": a.Email, "p": password}, "")
	msg, _ := r.JSON(t)["errors"].([]any)[0].(map[string]any)["message"].(string)
	if !regexp.MustCompile(`^too many attempts; try again in ([1-9]|1[0-9]|20) seconds$`).MatchString(msg) {
		t.Fatalf("login past the limit: %s", r.Body)
	}
	expectErrors(t, r, nil, fieldErr(lq, "login", msg, "TOO_MANY_REQUESTS", nil))

	rq := `mutation($e: String!) { request_password_reset(email: $e) }`
	for range 3 {
		expectData(t, gql(t, s, rq, map[string]any{"e": a.Email}, ""), map[string]any{"request_password_reset": true})
	}
	r = gql(t, s, rq, map[string]any{"e": a.Email}, "")
	if r.JSON(t)["errors"] == nil {
		t.Fatalf("reset request past the limit: %s", r.Body)
	}
}
