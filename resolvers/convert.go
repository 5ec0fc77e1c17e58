package resolvers

import (
	"fastcms/dbmodel"
	"fastcms/graph/model"
	"fastcms/internal/auth"
)

func toUser(u *dbmodel.User) *model.User {
	var provider *string
	if u.OAuthProvider != "" {
		provider = &u.OAuthProvider
	}
	return &model.User{ID: u.ID, Email: u.Email, Name: u.Name, Avatar: u.Avatar, Role: u.Role, Verified: u.Verified,
		OauthProvider: provider, Created: u.Created, Updated: u.Updated}
}

func toToken(t *auth.Tokens) *model.Token {
	return &model.Token{AccessToken: t.AccessToken, RefreshToken: t.RefreshToken, TokenType: t.TokenType, ExpiresIn: t.ExpiresIn}
}

func toAuth(a *auth.AuthResult) *model.AuthResponse {
	return &model.AuthResponse{User: toUser(a.User), Token: toToken(a.Tokens)}
}

func toSession(s auth.SessionInfo) *model.Session {
	return &model.Session{ID: s.ID, UserAgent: s.UserAgent, IP: s.IP, Created: s.Created, LastUsed: s.LastUsed, ExpiresAt: s.ExpiresAt, Current: s.Current}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// done turns a service's error-only result into a Boolean! field.
func done(err error) (bool, error) {
	return err == nil, err
}
