package auth

import (
	"context"
	"unicode/utf8"

	"github.com/uptrace/bun"

	"fastcms/dbmodel"
	"fastcms/internal/apierr"
)

// Me returns the caller's account.
func (s *Service) Me(ctx context.Context, p *Principal) (*dbmodel.User, error) {
	return s.getUser(ctx, p.UserID)
}

// UpdateMeInput holds the fields a user may change on their own account; nil
// means unchanged. The email is not one of them: it changes only through
// RequestEmailChange, which needs the password and the new address's consent.
type UpdateMeInput struct {
	Name   *string
	Avatar *string
}

// UpdateMe changes the caller's profile.
func (s *Service) UpdateMe(ctx context.Context, p *Principal, in UpdateMeInput) (*dbmodel.User, error) {
	return s.updateUser(ctx, p.UserID, UpdateUserInput{Name: in.Name, Avatar: in.Avatar})
}

// DeleteMe deletes the caller's account. The last admin cannot, because that
// would reopen first-admin setup to anyone.
func (s *Service) DeleteMe(ctx context.Context, p *Principal) error {
	return s.deleteUser(ctx, p.UserID)
}

// ChangePassword replaces the caller's password after checking the old one,
// and ends every other session.
func (s *Service) ChangePassword(ctx context.Context, p *Principal, oldPassword, newPassword, confirm string) error {
	user, err := s.getUser(ctx, p.UserID)
	if err != nil {
		return err
	}
	if !s.checkPassword(user.PasswordHash, oldPassword) {
		return apierr.InvalidField("old_password", "is incorrect")
	}
	if why := s.passwordProblem(newPassword); why != "" {
		return apierr.InvalidField("new_password", why)
	}
	if confirm != newPassword {
		return apierr.InvalidField("new_password_confirm", "does not match new_password")
	}
	hash, err := s.hashPassword(newPassword)
	if err != nil {
		return err
	}
	return s.inTx(ctx, func(tx bun.Tx) ([]string, error) {
		if _, err := tx.NewUpdate().Model((*dbmodel.User)(nil)).Set("password_hash = ?", hash).Set("updated = ?", s.opts.Now()).
			Where("id = ?", p.UserID).Exec(ctx); err != nil {
			return nil, err
		}
		if err := spendTokensTx(ctx, tx, p.UserID, kindReset, s.opts.Now()); err != nil {
			return nil, err
		}
		return []string{p.UserID}, revokeSessionsTx(ctx, tx, p.UserID, p.SessionID, s.opts.Now())
	})
}

func avatarProblem(avatar string) string {
	if utf8.RuneCountInString(avatar) > 2048 {
		return "must be at most 2048 characters"
	}
	return ""
}
