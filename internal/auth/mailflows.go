package auth

import (
	"context"
	"fmt"
	"net/url"
	"time"

	"github.com/uptrace/bun"

	"fastcms/dbmodel"
	"fastcms/internal/apierr"
	"fastcms/internal/mail"
)

// Lifetimes of mailed tokens.
const (
	resetTTL       = time.Hour
	verifyTTL      = 24 * time.Hour
	emailChangeTTL = time.Hour
)

const (
	kindReset       = "password_reset"
	kindVerify      = "verify_email"
	kindEmailChange = "email_change"
)

// mailToken stores a one-time token for user and mails its link.
func (s *Service) mailToken(ctx context.Context, user *dbmodel.User, kind string, ttl time.Duration, subject, path string) error {
	token, err := s.issueToken(ctx, user, kind, ttl, "")
	if err != nil {
		return err
	}
	return s.sendLink(ctx, user.Email, ttl, subject, path, token)
}

// issueToken stores a one-time token of kind for user and returns it. A
// reset or email-change token replaces the user's outstanding ones of its
// kind, so only the newest mail works.
func (s *Service) issueToken(ctx context.Context, user *dbmodel.User, kind string, ttl time.Duration, newEmail string) (string, error) {
	token, hash := randomToken()
	now := s.opts.Now()
	row := &dbmodel.UserToken{TokenHash: hash, UserID: user.ID, Kind: kind, Email: user.Email, NewEmail: newEmail, ExpiresAt: now.Add(ttl), Created: now}
	err := s.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if kind != kindVerify {
			if err := spendTokensTx(ctx, tx, user.ID, kind, now); err != nil {
				return err
			}
		}
		_, err := tx.NewInsert().Model(row).Exec(ctx)
		return err
	})
	return token, err
}

// sendLink mails token to to, as a link and as the bare token.
func (s *Service) sendLink(ctx context.Context, to string, ttl time.Duration, subject, path, token string) error {
	link := fmt.Sprintf("%s%s?token=%s", s.opts.PublicURL, path, url.QueryEscape(token))
	body := fmt.Sprintf("Open this link: %s\n\nOr send this token to the API: %s\n\nIt expires in %s.", link, token, ttl)
	return s.mail.Send(ctx, mail.Message{To: to, Subject: subject, Body: body})
}

// sendVerification mails user a verification link in the background.
func (s *Service) sendVerification(user *dbmodel.User) {
	if user.Verified {
		return
	}
	u := *user
	s.later(kindVerify, func(ctx context.Context) error {
		return s.mailToken(ctx, &u, kindVerify, verifyTTL, "Verify your email", "/verify-email")
	})
}

// RequestVerification mails a new verification link. It answers at once and
// alike whether or not the email belongs to an account: the lookup and the
// mail happen in the background.
func (s *Service) RequestVerification(ctx context.Context, email string, client Client) error {
	return s.requestMail(ctx, email, client, actVerify, func(ctx context.Context, user *dbmodel.User) error {
		if user.Verified {
			return nil
		}
		return s.mailToken(ctx, user, kindVerify, verifyTTL, "Verify your email", "/verify-email")
	})
}

// RequestPasswordReset mails a reset link. It answers at once and alike
// whether or not the email belongs to an account, so neither the answer nor
// its timing can be used to probe for accounts.
func (s *Service) RequestPasswordReset(ctx context.Context, email string, client Client) error {
	return s.requestMail(ctx, email, client, actReset, func(ctx context.Context, user *dbmodel.User) error {
		return s.mailToken(ctx, user, kindReset, resetTTL, "Reset your password", "/reset-password")
	})
}

// requestMail throttles a mail request per client and per address, checks
// the address's form, and leaves finding the account and mailing it to the
// background.
func (s *Service) requestMail(ctx context.Context, email string, client Client, action string, send func(context.Context, *dbmodel.User) error) error {
	if err := s.throttle.allow(action, client.IP, accountKey(email)); err != nil {
		return err
	}
	email, why := normalizeEmail(email)
	if why != "" {
		return apierr.InvalidField("email", why)
	}
	s.later(action, func(ctx context.Context) error {
		user, err := s.userByEmail(ctx, email)
		if err != nil || user == nil {
			return err
		}
		return send(ctx, user)
	})
	return nil
}

// userByEmail finds the account of a normalised email, or nil.
func (s *Service) userByEmail(ctx context.Context, email string) (*dbmodel.User, error) {
	user := &dbmodel.User{}
	err := s.db.NewSelect().Model(user).Where("lower(email) = ?", email).Scan(ctx)
	if isNoRows(err) {
		return nil, nil
	}
	return user, err
}

// ResetPassword sets a new password with a mailed token, and ends every
// session: whoever knew the old password is logged out.
func (s *Service) ResetPassword(ctx context.Context, token, password, confirm string) error {
	if why := s.passwordProblem(password); why != "" {
		return apierr.InvalidField("password", why)
	}
	if confirm != password {
		return apierr.InvalidField("password_confirm", "does not match password")
	}
	hash, err := s.hashPassword(password)
	if err != nil {
		return err
	}
	return s.useToken(ctx, token, kindReset, func(tx bun.Tx, t spentToken) error {
		userID, now := t.UserID, s.opts.Now()
		if _, err := tx.NewUpdate().Model((*dbmodel.User)(nil)).Set("password_hash = ?", hash).Set("updated = ?", now).
			Where("id = ?", userID).Exec(ctx); err != nil {
			return err
		}
		if err := spendTokensTx(ctx, tx, userID, kindReset, now); err != nil {
			return err
		}
		return revokeSessionsTx(ctx, tx, userID, "", now)
	})
}

// VerifyEmail marks the address a verification token was sent to as verified.
func (s *Service) VerifyEmail(ctx context.Context, token string) error {
	return s.useToken(ctx, token, kindVerify, func(tx bun.Tx, t spentToken) error {
		_, err := tx.NewUpdate().Model((*dbmodel.User)(nil)).Set("verified = true").Set("updated = ?", s.opts.Now()).
			Where("id = ?", t.UserID).Exec(ctx)
		return err
	})
}

// useToken spends a one-time token of kind and runs apply in the same
// transaction. A token dies once used, on expiry, and when the account's
// email is no longer the one it was sent to.
func (s *Service) useToken(ctx context.Context, token, kind string, apply func(tx bun.Tx, t spentToken) error) error {
	if token == "" {
		return apierr.InvalidField("token", "is required")
	}
	return s.inTx(ctx, func(tx bun.Tx) ([]string, error) {
		var t spentToken
		err := tx.NewRaw(`UPDATE user_tokens t SET used_at = ? FROM users u
			WHERE t.token_hash = ? AND t.kind = ? AND t.used_at IS NULL AND t.expires_at > ?
			AND u.id = t.user_id AND lower(u.email) = t.email RETURNING t.user_id, coalesce(t.new_email, '') AS new_email`,
			s.opts.Now(), hashToken(token), kind, s.opts.Now()).Scan(ctx, &t)
		if isNoRows(err) {
			return nil, apierr.BadRequest("invalid or expired token")
		}
		if err != nil {
			return nil, err
		}
		return []string{t.UserID}, apply(tx, t)
	})
}

// spentToken is what a used token tells its flow.
type spentToken struct {
	UserID   string
	NewEmail string
}

// spendTokensTx marks every outstanding token of kind of userID used. Reset
// tokens are spent when a new one is issued and whenever the password
// changes, so at most one reset mail is ever live and an old mail found later
// (in a mailbox, a log) cannot undo a password change.
func spendTokensTx(ctx context.Context, tx bun.Tx, userID, kind string, now time.Time) error {
	_, err := tx.NewUpdate().Model((*dbmodel.UserToken)(nil)).Set("used_at = ?", now).
		Where("user_id = ?", userID).Where("kind = ?", kind).Where("used_at IS NULL").Exec(ctx)
	return err
}
