package rest

import (
	"fastcms/dbmodel"
	"fastcms/internal/auth"
	"fastcms/internal/page"
	"fastcms/internal/timefmt"
)

type userResponse struct {
	ID            string  `json:"id"`
	Email         string  `json:"email"`
	Name          string  `json:"name"`
	Avatar        string  `json:"avatar"`
	Role          string  `json:"role"`
	Verified      bool    `json:"verified"`
	OAuthProvider *string `json:"oauth_provider"`
	Created       string  `json:"created"`
	Updated       string  `json:"updated"`
}

func newUser(u *dbmodel.User) userResponse {
	var provider *string
	if u.OAuthProvider != "" {
		provider = &u.OAuthProvider
	}
	return userResponse{ID: u.ID, Email: u.Email, Name: u.Name, Avatar: u.Avatar, Role: u.Role, Verified: u.Verified,
		OAuthProvider: provider, Created: timefmt.Format(u.Created), Updated: timefmt.Format(u.Updated)}
}

type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int    `json:"expires_in"`
}

func newToken(t *auth.Tokens) tokenResponse {
	return tokenResponse{AccessToken: t.AccessToken, RefreshToken: t.RefreshToken, TokenType: t.TokenType, ExpiresIn: t.ExpiresIn}
}

type authResponse struct {
	User  userResponse  `json:"user"`
	Token tokenResponse `json:"token"`
}

func newAuth(a *auth.AuthResult) authResponse {
	return authResponse{User: newUser(a.User), Token: newToken(a.Tokens)}
}

type sessionResponse struct {
	ID        string `json:"id"`
	UserAgent string `json:"user_agent"`
	IP        string `json:"ip"`
	Created   string `json:"created"`
	LastUsed  string `json:"last_used"`
	ExpiresAt string `json:"expires_at"`
	Current   bool   `json:"current"`
}

func newSession(s auth.SessionInfo) sessionResponse {
	return sessionResponse{ID: s.ID, UserAgent: s.UserAgent, IP: s.IP, Created: timefmt.Format(s.Created),
		LastUsed: timefmt.Format(s.LastUsed), ExpiresAt: timefmt.Format(s.ExpiresAt), Current: s.Current}
}

type pageResponse[T any] struct {
	Items      []T `json:"items"`
	Total      int `json:"total"`
	Page       int `json:"page"`
	PerPage    int `json:"per_page"`
	TotalPages int `json:"total_pages"`
}

func newPage[S, T any](p page.Result[S], conv func(*S) T) pageResponse[T] {
	items := make([]T, len(p.Items))
	for i := range p.Items {
		items[i] = conv(&p.Items[i])
	}
	return pageResponse[T]{Items: items, Total: p.Total, Page: p.Page, PerPage: p.PerPage, TotalPages: p.TotalPages}
}
