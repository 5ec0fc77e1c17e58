package auth

import (
	"context"

	"github.com/uptrace/bun"

	"fastcms/dbmodel"
	"fastcms/internal/apierr"
	"fastcms/internal/ids"
	"fastcms/internal/page"
)

// The user-administration methods below authorize the caller from ctx
// themselves, so no adapter (REST, GraphQL, a future CLI) can expose them by
// forgetting a check.

// ListUsers pages through all users, oldest first (admin).
func (s *Service) ListUsers(ctx context.Context, req page.Request) (page.Result[dbmodel.User], error) {
	if _, err := RequireAdmin(ctx); err != nil {
		return page.Result[dbmodel.User]{}, err
	}
	var users []dbmodel.User
	q := s.db.NewSelect().Model(&users).Order("created", "id").Limit(int64(req.PerPage)).Offset(int64(req.Offset()))
	total := -1
	var err error
	if req.SkipTotal {
		err = q.Scan(ctx)
	} else {
		var n int64
		n, err = q.ScanAndCount(ctx)
		total = int(n)
	}
	return page.NewResult(users, total, req), err
}

// CreateUserInput is an account made by an admin.
type CreateUserInput struct {
	Email    string
	Password string
	Name     string
	Role     string
}

// CreateUser makes an account without logging it in (admin).
func (s *Service) CreateUser(ctx context.Context, in CreateUserInput) (*dbmodel.User, error) {
	if _, err := RequireAdmin(ctx); err != nil {
		return nil, err
	}
	if in.Role == "" {
		in.Role = RoleUser
	}
	reg := RegisterInput{Email: in.Email, Password: in.Password, PasswordConfirm: in.Password, Name: in.Name}
	fields := reg.problems(s)
	if in.Role != RoleUser && in.Role != RoleAdmin {
		fields["role"] = "must be user or admin"
	}
	if len(fields) > 0 {
		return nil, apierr.Invalid(fields)
	}
	hash, herr := s.hashPassword(in.Password)
	if herr != nil {
		return nil, herr
	}
	user := &dbmodel.User{Email: reg.Email, PasswordHash: hash, Name: in.Name, Role: in.Role}
	if _, err := s.db.NewInsert().Model(user).Returning("*").Exec(ctx); err != nil {
		return nil, uniqueEmail(err)
	}
	return user, nil
}

// GetUser returns one user (admin).
func (s *Service) GetUser(ctx context.Context, id string) (*dbmodel.User, error) {
	if _, err := RequireAdmin(ctx); err != nil {
		return nil, err
	}
	return s.getUser(ctx, id)
}

// getUser returns one user; a malformed id is a 404 like a missing one.
func (s *Service) getUser(ctx context.Context, id string) (*dbmodel.User, error) {
	if !ids.IsUUID(id) {
		return nil, apierr.NotFound("user not found")
	}
	user := &dbmodel.User{}
	err := s.db.NewSelect().Model(user).Where("id = ?", id).Scan(ctx)
	if isNoRows(err) {
		return nil, apierr.NotFound("user not found")
	}
	return user, err
}

// UpdateUserInput is a partial change to an account; nil means unchanged.
type UpdateUserInput struct {
	Name     *string
	Email    *string
	Avatar   *string
	Role     *string
	Verified *bool
	Password *string
}

// UpdateUser changes any account (admin). An admin cannot demote themself,
// and the last admin cannot be demoted, so first-admin setup never reopens.
func (s *Service) UpdateUser(ctx context.Context, id string, in UpdateUserInput) (*dbmodel.User, error) {
	actor, err := RequireAdmin(ctx)
	if err != nil {
		return nil, err
	}
	if id == actor.UserID && in.Role != nil && *in.Role != RoleAdmin {
		return nil, apierr.BadRequest("an admin cannot demote themself")
	}
	return s.updateUser(ctx, id, in)
}

// DeleteUser deletes any account but the caller's own (admin).
func (s *Service) DeleteUser(ctx context.Context, id string) error {
	actor, err := RequireAdmin(ctx)
	if err != nil {
		return err
	}
	if id == actor.UserID {
		return apierr.BadRequest("an admin cannot delete themself")
	}
	return s.deleteUser(ctx, id)
}

func (s *Service) updateUser(ctx context.Context, id string, in UpdateUserInput) (*dbmodel.User, error) {
	user, err := s.getUser(ctx, id)
	if err != nil {
		return nil, err
	}
	fields := map[string]string{}
	emailChanged := false
	if in.Email != nil {
		email, why := normalizeEmail(*in.Email)
		if why != "" {
			fields["email"] = why
		} else if email != user.Email {
			user.Email, user.Verified, emailChanged = email, false, true
		}
	}
	if in.Name != nil {
		if why := nameProblem(*in.Name); why != "" {
			fields["name"] = why
		}
		user.Name = *in.Name
	}
	if in.Avatar != nil {
		if why := avatarProblem(*in.Avatar); why != "" {
			fields["avatar"] = why
		}
		user.Avatar = *in.Avatar
	}
	if in.Role != nil {
		if *in.Role != RoleUser && *in.Role != RoleAdmin {
			fields["role"] = "must be user or admin"
		}
		user.Role = *in.Role
	}
	if in.Verified != nil {
		user.Verified = *in.Verified
	}
	if in.Password != nil {
		if why := s.passwordProblem(*in.Password); why != "" {
			fields["password"] = why
		} else if user.PasswordHash, err = s.hashPassword(*in.Password); err != nil {
			return nil, err
		}
	}
	if len(fields) > 0 {
		return nil, apierr.Invalid(fields)
	}
	user.Updated = s.opts.Now()
	err = s.inTx(ctx, func(tx bun.Tx) ([]string, error) {
		if in.Role != nil && *in.Role != RoleAdmin {
			if err := keepAnAdmin(ctx, tx, id, "the last admin cannot be demoted"); err != nil {
				return nil, err
			}
		}
		if _, err := tx.NewUpdate().Model(user).Column("email", "name", "avatar", "role", "verified", "password_hash", "updated").
			WherePK().Returning("*").Exec(ctx); err != nil {
			return nil, uniqueEmail(err)
		}
		if in.Password != nil {
			if err := spendTokensTx(ctx, tx, id, kindReset, s.opts.Now()); err != nil {
				return nil, err
			}
			return []string{id}, revokeSessionsTx(ctx, tx, id, "", s.opts.Now())
		}
		return []string{id}, nil
	})
	if err != nil {
		return nil, err
	}
	if emailChanged {
		s.sendVerification(user)
	}
	return user, nil
}

func (s *Service) deleteUser(ctx context.Context, id string) error {
	if !ids.IsUUID(id) {
		return apierr.NotFound("user not found")
	}
	return s.inTx(ctx, func(tx bun.Tx) ([]string, error) {
		if err := keepAnAdmin(ctx, tx, id, "the last admin cannot be deleted"); err != nil {
			return nil, err
		}
		res, err := tx.NewDelete().Model((*dbmodel.User)(nil)).Where("id = ?", id).Exec(ctx)
		if err != nil {
			return nil, err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil, apierr.NotFound("user not found")
		}
		return []string{id}, nil
	})
}

// keepAnAdmin refuses, with why, to let id stop being an admin when it is the
// only one. It locks the admins' rows first, so two admins demoting or
// deleting each other at once are serialised: the second sees the first's
// commit and is refused, and first-admin setup never reopens.
func keepAnAdmin(ctx context.Context, tx bun.Tx, id, why string) error {
	var admins []string
	if err := tx.NewRaw("SELECT id FROM users WHERE role = ? FOR UPDATE", RoleAdmin).Scan(ctx, &admins); err != nil {
		return err
	}
	if len(admins) == 1 && admins[0] == id {
		return apierr.BadRequest("%s", why)
	}
	return nil
}
