package auth

import (
	"context"
	"strings"
	"time"

	"fastcms/internal/apierr"
)

// Role names.
const (
	RoleUser  = "user"
	RoleAdmin = "admin"
)

// Principal is the authenticated caller of one request. Role and Email come
// from the user's current state, not from the token, so a demotion takes
// effect at once.
type Principal struct {
	UserID    string
	SessionID string
	Email     string
	Role      string
	Verified  bool
}

// IsAdmin reports whether the caller may bypass rules and manage the system.
func (p *Principal) IsAdmin() bool { return p != nil && p.Role == RoleAdmin }

// Authenticate checks an access token: signature, expiry, and that its user
// and session are still live. It costs no database round trip while the
// user's state is cached.
func (s *Service) Authenticate(ctx context.Context, token string) (*Principal, error) {
	claims, err := s.parseAccess(token)
	if err != nil {
		return nil, err
	}
	st, err := s.cache.get(ctx, claims.Subject)
	if err != nil {
		return nil, err
	}
	if exp, ok := st.sessions[claims.SessionID]; !st.exists || !ok || !exp.After(s.opts.Now()) {
		return nil, apierr.Unauthorized("invalid or expired access token")
	}
	return &Principal{UserID: claims.Subject, SessionID: claims.SessionID, Email: st.email, Role: st.role, Verified: st.verified}, nil
}

// BearerToken extracts the token of an "Authorization: Bearer …" value, or "".
func BearerToken(header string) string {
	scheme, token, ok := strings.Cut(strings.TrimSpace(header), " ")
	if !ok || !strings.EqualFold(scheme, "bearer") {
		return ""
	}
	return strings.TrimSpace(token)
}

func (s *Service) loadPrincipal(ctx context.Context, userID string) (*principalState, error) {
	st := &principalState{sessions: map[string]time.Time{}}
	err := s.db.NewRaw(`SELECT email, role, verified FROM users WHERE id = ?`, userID).Scan(ctx, &st.email, &st.role, &st.verified)
	if isNoRows(err) {
		return st, nil
	}
	if err != nil {
		return nil, err
	}
	st.exists = true
	var live []struct {
		ID        string
		ExpiresAt time.Time
	}
	if err := s.db.NewRaw(`SELECT id, expires_at FROM sessions WHERE user_id = ? AND revoked_at IS NULL`, userID).Scan(ctx, &live); err != nil {
		return nil, err
	}
	for _, l := range live {
		st.sessions[l.ID] = l.ExpiresAt
	}
	return st, nil
}
