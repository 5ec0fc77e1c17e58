package auth

import (
	"context"
	"errors"
	"fmt"

	"github.com/uptrace/bun"

	"fastcms/dbmodel"
	"fastcms/internal/apierr"
	"fastcms/internal/mail"
)

// Subjects of the email-change mails.
const (
	subjectConfirmEmail = "Confirm your new email"
	subjectEmailNotice  = "Your email is being changed"
)

// RequestEmailChange starts moving the caller's account to newEmail. It
// needs the current password, so a stolen access token alone cannot take the
// account over, and nothing changes until the new address confirms with the
// mailed token; the old address is told, so its owner can react.
func (s *Service) RequestEmailChange(ctx context.Context, p *Principal, newEmail, password string, client Client) error {
	if err := s.throttle.allow(actEmailChange, client.IP, accountKey(p.Email)); err != nil {
		return err
	}
	user, err := s.getUser(ctx, p.UserID)
	if err != nil {
		return err
	}
	if !s.checkPassword(user.PasswordHash, password) {
		return apierr.InvalidField("password", "is incorrect")
	}
	newEmail, why := normalizeEmail(newEmail)
	if why == "" && newEmail == user.Email {
		why = "is already the account's email"
	}
	if why != "" {
		return apierr.InvalidField("new_email", why)
	}
	taken, err := s.db.NewSelect().Model((*dbmodel.User)(nil)).Where("lower(email) = ?", newEmail).Exists(ctx)
	if err != nil {
		return err
	}
	if taken {
		return apierr.Conflict("a user with this email already exists")
	}
	token, err := s.issueToken(ctx, user, kindEmailChange, emailChangeTTL, newEmail)
	if err != nil {
		return err
	}
	oldEmail := user.Email
	s.later(kindEmailChange, func(ctx context.Context) error {
		notice := fmt.Sprintf("Someone signed in to your account asked to change its email to %s.\n\n"+
			"Nothing changes unless that address confirms. If this was not you, change your password now.", newEmail)
		return errors.Join(
			s.sendLink(ctx, newEmail, emailChangeTTL, subjectConfirmEmail, "/confirm-email-change", token),
			s.mail.Send(ctx, mail.Message{To: oldEmail, Subject: subjectEmailNotice, Body: notice}))
	})
	return nil
}

// ConfirmEmailChange applies the change a token was mailed for: the account
// takes the new address, verified (the token proved it), and every other
// session ends. The caller's own session survives when the caller is the
// account's user. The token dies if the account's email changed meanwhile.
func (s *Service) ConfirmEmailChange(ctx context.Context, token string) error {
	return s.useToken(ctx, token, kindEmailChange, func(tx bun.Tx, t spentToken) error {
		now := s.opts.Now()
		if _, err := tx.NewUpdate().Model((*dbmodel.User)(nil)).Set("email = ?", t.NewEmail).Set("verified = true").
			Set("updated = ?", now).Where("id = ?", t.UserID).Exec(ctx); err != nil {
			return uniqueEmail(err)
		}
		keep := ""
		if p := FromContext(ctx); p != nil && p.UserID == t.UserID {
			keep = p.SessionID
		}
		return revokeSessionsTx(ctx, tx, t.UserID, keep, now)
	})
}
