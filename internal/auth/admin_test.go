package auth

import (
	"context"
	"net/http"
	"testing"

	"fastcms/internal/apierr"
	"fastcms/internal/page"
)

// The user administration authorizes from the context itself: an adapter
// that forgets to check cannot expose it (architecture review §3.4).
func TestUserAdminAuthorizesInService(t *testing.T) {
	s := newTestService(t)
	res, err := s.Register(context.Background(), RegisterInput{Email: "plain@example.com", Password: "plain1234", PasswordConfirm: "plain1234"}, Client{})
	if err != nil {
		t.Fatal(err)
	}
	user := &Principal{UserID: res.User.ID, Role: RoleUser}
	req, err := page.New(nil, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	calls := map[string]func(ctx context.Context) error{
		"ListUsers": func(ctx context.Context) error { _, err := s.ListUsers(ctx, req); return err },
		"CreateUser": func(ctx context.Context) error {
			_, err := s.CreateUser(ctx, CreateUserInput{Email: "new@example.com", Password: "new12345", Role: RoleAdmin})
			return err
		},
		"GetUser": func(ctx context.Context) error { _, err := s.GetUser(ctx, res.User.ID); return err },
		"UpdateUser": func(ctx context.Context) error {
			role := RoleAdmin
			_, err := s.UpdateUser(ctx, res.User.ID, UpdateUserInput{Role: &role})
			return err
		},
		"DeleteUser": func(ctx context.Context) error { return s.DeleteUser(ctx, res.User.ID) },
	}
	for name, call := range calls {
		for _, c := range []struct {
			ctx    context.Context
			status int
		}{
			{context.Background(), http.StatusUnauthorized},
			{NewContext(context.Background(), user, nil), http.StatusForbidden},
		} {
			e, ok := apierr.As(call(c.ctx))
			if !ok || e.Status != c.status {
				t.Errorf("%s: got %v, want a %d", name, e, c.status)
			}
		}
	}
	if got, err := s.getUser(context.Background(), res.User.ID); err != nil || got.Role != RoleUser {
		t.Fatalf("the refused calls changed the account: %+v %v", got, err)
	}
}
