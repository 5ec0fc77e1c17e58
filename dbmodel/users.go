// Package dbmodel holds the bun models of the system tables that migrations/
// creates. Collection tables are not here: they are defined at run time.
package dbmodel

import (
	"time"

	"github.com/uptrace/bun"
)

// User is an account. Email is stored lower-cased so lookups are
// case-insensitive; PasswordHash is empty for OAuth-only accounts.
type User struct {
	bun.BaseModel `bun:"table:users"`

	ID            string    `bun:"id,pk,type:uuid,default:gen_random_uuid()"`
	Email         string    `bun:"email,notnull"`
	PasswordHash  string    `bun:"password_hash,nullzero"`
	Name          string    `bun:"name,notnull"`
	Avatar        string    `bun:"avatar,notnull"`
	Role          string    `bun:"role,notnull"`
	Verified      bool      `bun:"verified,notnull"`
	OAuthProvider string    `bun:"oauth_provider,nullzero"`
	Created       time.Time `bun:"created,notnull,default:now()"`
	Updated       time.Time `bun:"updated,notnull,default:now()"`
}

// Session is one login: the family of refresh tokens that rotation produces.
type Session struct {
	bun.BaseModel `bun:"table:sessions"`

	ID        string     `bun:"id,pk,type:uuid,default:gen_random_uuid()"`
	UserID    string     `bun:"user_id,type:uuid,notnull"`
	UserAgent string     `bun:"user_agent,notnull"`
	IP        string     `bun:"ip,notnull"`
	Created   time.Time  `bun:"created,notnull,default:now()"`
	LastUsed  time.Time  `bun:"last_used,notnull,default:now()"`
	ExpiresAt time.Time  `bun:"expires_at,notnull"`
	RevokedAt *time.Time `bun:"revoked_at"`
}

// RefreshToken is the hash of one refresh token of a session.
type RefreshToken struct {
	bun.BaseModel `bun:"table:refresh_tokens"`

	TokenHash []byte     `bun:"token_hash,pk"`
	SessionID string     `bun:"session_id,type:uuid,notnull"`
	Created   time.Time  `bun:"created,notnull,default:now()"`
	UsedAt    *time.Time `bun:"used_at"`
}

// UserToken is a one-time token mailed to a user (reset, verification or
// email change). Email pins the account's address when it was issued, so a
// token dies when the email changes; NewEmail is the address an email-change
// token switches to (and was sent to).
type UserToken struct {
	bun.BaseModel `bun:"table:user_tokens"`

	TokenHash []byte     `bun:"token_hash,pk"`
	UserID    string     `bun:"user_id,type:uuid,notnull"`
	Kind      string     `bun:"kind,notnull"`
	Email     string     `bun:"email,notnull"`
	NewEmail  string     `bun:"new_email,nullzero"`
	ExpiresAt time.Time  `bun:"expires_at,notnull"`
	UsedAt    *time.Time `bun:"used_at"`
	Created   time.Time  `bun:"created,notnull,default:now()"`
}
