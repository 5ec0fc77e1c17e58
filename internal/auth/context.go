package auth

import (
	"context"

	"fastcms/internal/apierr"
)

type ctxKey struct{}

// caller is what the transport learned about who is calling: a principal,
// nobody, or a credential that failed (kept to explain a later 401).
type caller struct {
	principal *Principal
	err       error
}

// NewContext records the result of authenticating the request.
func NewContext(ctx context.Context, p *Principal, err error) context.Context {
	return context.WithValue(ctx, ctxKey{}, caller{p, err})
}

// FromContext returns the caller, or nil for an anonymous request (also
// when the credential presented was invalid: public operations still work).
func FromContext(ctx context.Context) *Principal {
	c, _ := ctx.Value(ctxKey{}).(caller)
	return c.principal
}

// RequireUser returns the caller or a 401 that says why there is none.
func RequireUser(ctx context.Context) (*Principal, error) {
	c, _ := ctx.Value(ctxKey{}).(caller)
	if c.principal != nil {
		return c.principal, nil
	}
	if c.err != nil {
		return nil, c.err
	}
	return nil, apierr.Unauthorized("authentication required")
}

// RequireAdmin returns the caller if an admin, else a 401 or 403.
func RequireAdmin(ctx context.Context) (*Principal, error) {
	p, err := RequireUser(ctx)
	if err != nil {
		return nil, err
	}
	if !p.IsAdmin() {
		return nil, apierr.Forbidden("admin access required")
	}
	return p, nil
}
