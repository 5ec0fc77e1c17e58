package auth

import (
	"context"
	"time"
	"unicode/utf8"

	"github.com/uptrace/bun"

	"fastcms/dbmodel"
	"fastcms/internal/apierr"
)

// OAuthIdentity is what a provider said about the person who signed in.
type OAuthIdentity struct {
	Provider string
	// Subject is the provider's stable id of the account.
	Subject string
	Email   string
	// EmailVerified is the provider's assertion that the person controls
	// Email; only then may the identity join an existing account by email.
	EmailVerified bool
	Name          string
}

// OAuthLink is one provider account linked to a user.
type OAuthLink struct {
	Provider string    `bun:"provider"`
	Email    string    `bun:"email"`
	Created  time.Time `bun:"created"`
}

// ThrottleOAuthStart spends one start of a social sign-in from the
// client's address, or refuses with a 429: each start costs a signed
// state and a redirect, and a flood of them is someone's script.
func (s *Service) ThrottleOAuthStart(client Client) error {
	return s.throttle.allow(actOAuthStart, client.IP, "")
}

// ThrottleOAuthCallback spends one callback from the client's address, or
// refuses with a 429: each callback may cost a code exchange and profile
// calls to the provider, and guesses at states and codes are bounded.
func (s *Service) ThrottleOAuthCallback(client Client) error {
	return s.throttle.allow(actOAuthFinish, client.IP, "")
}

// OAuthLogin signs in the user behind id and starts a session, as Login
// does. The user is found by the provider account first; else by email,
// only when the provider says the email is verified (an unverified one
// could be anybody's, so it is a 409, not a takeover), and then an
// unverified account's password and sessions are dropped, as nobody had
// proved the address; else a new user without a password is created. users.oauth_provider records the provider
// of the latest social sign-in.
func (s *Service) OAuthLogin(ctx context.Context, id OAuthIdentity, client Client) (*AuthResult, error) {
	email, why := normalizeEmail(id.Email)
	if why != "" {
		return nil, apierr.BadRequest("the %s account has no usable email address", id.Provider)
	}
	user := &dbmodel.User{}
	var tokens *Tokens
	err := s.inTx(ctx, func(tx bun.Tx) ([]string, error) {
		err := tx.NewSelect().Model(user).
			Where("id = (SELECT user_id FROM oauth_accounts WHERE provider = ? AND provider_user_id = ?)", id.Provider, id.Subject).
			For("UPDATE").Scan(ctx)
		switch {
		case err == nil:
		case !isNoRows(err):
			return nil, err
		default:
			if err := s.linkOrCreate(ctx, tx, user, id, email); err != nil {
				return nil, err
			}
		}
		user.OAuthProvider = id.Provider
		if _, err := tx.NewUpdate().Model(user).Column("oauth_provider", "verified").WherePK().Exec(ctx); err != nil {
			return nil, err
		}
		tokens, err = s.startSession(ctx, tx, user.ID, client)
		return []string{user.ID}, err
	})
	if err != nil {
		return nil, err
	}
	return &AuthResult{User: user, Tokens: tokens}, nil
}

// linkOrCreate links id to the user with its verified email, or creates a
// user for it, and fills user.
func (s *Service) linkOrCreate(ctx context.Context, tx bun.Tx, user *dbmodel.User, id OAuthIdentity, email string) error {
	err := tx.NewSelect().Model(user).Where("lower(email) = ?", email).For("UPDATE").Scan(ctx)
	switch {
	case err == nil:
		if !id.EmailVerified {
			return apierr.Conflict("an account with this email already exists; %s did not verify the email, so it is not linked: sign in with your password", id.Provider)
		}
		if !user.Verified {
			// Whoever set this password never proved the address, and may
			// not be its owner (an account made in advance to hijack the
			// owner's later social sign-in): the password and its sessions
			// go; the owner can set a password by password reset.
			user.PasswordHash = ""
			if _, err := tx.NewUpdate().Model(user).Column("password_hash").WherePK().Exec(ctx); err != nil {
				return err
			}
			if err := revokeSessionsTx(ctx, tx, user.ID, "", s.opts.Now()); err != nil {
				return err
			}
		}
		// The provider proved the address, which is what verification asks.
		user.Verified = true
	case isNoRows(err):
		*user = dbmodel.User{Email: email, Name: truncateRunes(id.Name, 100), Role: RoleUser, Verified: id.EmailVerified}
		if _, err := tx.NewInsert().Model(user).Returning("*").Exec(ctx); err != nil {
			return uniqueEmail(err)
		}
	default:
		return err
	}
	_, err = tx.NewRaw(`INSERT INTO oauth_accounts (user_id, provider, provider_user_id, email, created) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (user_id, provider) DO UPDATE SET provider_user_id = EXCLUDED.provider_user_id, email = EXCLUDED.email`,
		user.ID, id.Provider, id.Subject, email, s.opts.Now()).Exec(ctx)
	return err
}

// OAuthLinks lists the caller's linked providers, oldest first.
func (s *Service) OAuthLinks(ctx context.Context, p *Principal) ([]OAuthLink, error) {
	links := []OAuthLink{}
	err := s.db.NewRaw(`SELECT provider, email, created FROM oauth_accounts WHERE user_id = ? ORDER BY created, provider`,
		p.UserID).Scan(ctx, &links)
	return links, err
}

// UnlinkOAuth removes the caller's link to provider. It refuses to remove
// the last way in: a user without a password keeps one provider.
func (s *Service) UnlinkOAuth(ctx context.Context, p *Principal, provider string) error {
	return s.inTx(ctx, func(tx bun.Tx) ([]string, error) {
		user := &dbmodel.User{}
		if err := tx.NewSelect().Model(user).Where("id = ?", p.UserID).For("UPDATE").Scan(ctx); err != nil {
			return nil, err
		}
		var providers []string
		if err := tx.NewRaw(`SELECT provider FROM oauth_accounts WHERE user_id = ? ORDER BY created DESC`, p.UserID).Scan(ctx, &providers); err != nil {
			return nil, err
		}
		rest := make([]string, 0, len(providers))
		for _, pr := range providers {
			if pr != provider {
				rest = append(rest, pr)
			}
		}
		if len(rest) == len(providers) {
			return nil, apierr.NotFound("no %s account is linked", provider)
		}
		if user.PasswordHash == "" && len(rest) == 0 {
			return nil, apierr.Conflict("%s is your only way to sign in: set a password (password reset) or link another provider first", provider)
		}
		if _, err := tx.NewRaw(`DELETE FROM oauth_accounts WHERE user_id = ? AND provider = ?`, p.UserID, provider).Exec(ctx); err != nil {
			return nil, err
		}
		if user.OAuthProvider == provider {
			user.OAuthProvider = ""
			if len(rest) > 0 {
				user.OAuthProvider = rest[0]
			}
			if _, err := tx.NewUpdate().Model(user).Column("oauth_provider").WherePK().Exec(ctx); err != nil {
				return nil, err
			}
		}
		return []string{p.UserID}, nil
	})
}

// truncateRunes cuts s to at most n characters.
func truncateRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}
