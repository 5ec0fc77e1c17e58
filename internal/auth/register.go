package auth

import (
	"context"
	"strings"
	"unicode/utf8"

	"github.com/uptrace/bun"

	"fastcms/dbmodel"
	"fastcms/internal/apierr"
)

// setupLock serialises first-admin setup so exactly one caller can win.
const setupLock = 727_002

// Client describes where a login comes from; it labels the session.
type Client struct {
	UserAgent string
	IP        string
}

// RegisterInput is a new account.
type RegisterInput struct {
	Email           string
	Password        string
	PasswordConfirm string
	Name            string
}

// AuthResult is a user with a fresh token pair.
type AuthResult struct {
	User   *dbmodel.User
	Tokens *Tokens
}

func (in *RegisterInput) validate(s *Service) error {
	if fields := in.problems(s); len(fields) > 0 {
		return apierr.Invalid(fields)
	}
	return nil
}

// problems normalises the email and says what is wrong, per field, under
// s's password policy.
func (in *RegisterInput) problems(s *Service) map[string]string {
	fields := map[string]string{}
	var why string
	if in.Email, why = normalizeEmail(in.Email); why != "" {
		fields["email"] = why
	}
	if why := s.passwordProblem(in.Password); why != "" {
		fields["password"] = why
	} else if in.PasswordConfirm != in.Password {
		fields["password_confirm"] = "does not match password"
	}
	if why := nameProblem(in.Name); why != "" {
		fields["name"] = why
	}
	return fields
}

// Register creates a user account and logs it in. It is throttled per
// client address: a taken email is a 409, as clients expect, so the limit is
// what keeps it from listing accounts.
func (s *Service) Register(ctx context.Context, in RegisterInput, client Client) (*AuthResult, error) {
	if err := s.throttle.allow(actRegister, client.IP, ""); err != nil {
		return nil, err
	}
	return s.register(ctx, in, client, RoleUser, nil)
}

// NeedsSetup reports whether no admin exists yet. Setup is keyed on admins,
// not users, so a user who registers first cannot block the first admin.
func (s *Service) NeedsSetup(ctx context.Context) (bool, error) {
	exists, err := s.db.NewSelect().Model((*dbmodel.User)(nil)).Where("role = ?", RoleAdmin).Exists(ctx)
	return !exists, err
}

// Setup creates the first admin. Concurrent calls are serialised by an
// advisory lock: exactly one wins, the others get a 409.
func (s *Service) Setup(ctx context.Context, in RegisterInput, client Client) (*AuthResult, error) {
	return s.register(ctx, in, client, RoleAdmin, func(tx bun.Tx) error {
		if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock(?)", setupLock); err != nil {
			return err
		}
		exists, err := tx.NewSelect().Model((*dbmodel.User)(nil)).Where("role = ?", RoleAdmin).Exists(ctx)
		if err != nil {
			return err
		}
		if exists {
			return apierr.Conflict("setup is already complete")
		}
		return nil
	})
}

func (s *Service) register(ctx context.Context, in RegisterInput, client Client, role string, guard func(bun.Tx) error) (*AuthResult, error) {
	if err := in.validate(s); err != nil {
		return nil, err
	}
	hash, err := s.hashPassword(in.Password)
	if err != nil {
		return nil, err
	}
	user := &dbmodel.User{Email: in.Email, PasswordHash: hash, Name: in.Name, Role: role}
	var tokens *Tokens
	err = s.inTx(ctx, func(tx bun.Tx) ([]string, error) {
		if guard != nil {
			if err := guard(tx); err != nil {
				return nil, err
			}
		}
		if _, err := tx.NewInsert().Model(user).Returning("*").Exec(ctx); err != nil {
			return nil, uniqueEmail(err)
		}
		tokens, err = s.startSession(ctx, tx, user.ID, client)
		return nil, err
	})
	if err != nil {
		return nil, err
	}
	s.sendVerification(user)
	return &AuthResult{User: user, Tokens: tokens}, nil
}

// Login checks email and password. It answers the same, in about the same
// time, for an unknown email and a wrong password. Attempts are throttled
// per client address and per email, right or wrong, so passwords cannot be
// guessed past the limit.
func (s *Service) Login(ctx context.Context, email, password string, client Client) (*AuthResult, error) {
	if err := s.throttle.allow(actLogin, client.IP, accountKey(email)); err != nil {
		return nil, err
	}
	email, _ = normalizeEmail(email)
	user := &dbmodel.User{}
	err := s.db.NewSelect().Model(user).Where("lower(email) = ?", email).Scan(ctx)
	if err != nil && !isNoRows(err) {
		return nil, err
	}
	if !s.checkPassword(user.PasswordHash, password) {
		return nil, apierr.Unauthorized("Invalid email or password")
	}
	var tokens *Tokens
	err = s.inTx(ctx, func(tx bun.Tx) ([]string, error) {
		tokens, err = s.startSession(ctx, tx, user.ID, client)
		return []string{user.ID}, err
	})
	if err != nil {
		return nil, err
	}
	return &AuthResult{User: user, Tokens: tokens}, nil
}

// startSession opens a session for userID and issues its first token pair.
func (s *Service) startSession(ctx context.Context, tx bun.Tx, userID string, client Client) (*Tokens, error) {
	now := s.opts.Now()
	sess := &dbmodel.Session{UserID: userID, UserAgent: truncate(client.UserAgent, 512), IP: client.IP, Created: now, LastUsed: now, ExpiresAt: now.Add(s.opts.Policy().RefreshTTL)}
	if _, err := tx.NewInsert().Model(sess).Returning("id").Exec(ctx); err != nil {
		return nil, err
	}
	refresh, hash := randomToken()
	if _, err := tx.NewInsert().Model(&dbmodel.RefreshToken{TokenHash: hash, SessionID: sess.ID, Created: now}).Exec(ctx); err != nil {
		return nil, err
	}
	return s.issue(userID, sess.ID, refresh)
}

// truncate cuts s to at most n bytes on a rune boundary, dropping invalid UTF-8
// (PostgreSQL text refuses it).
func truncate(s string, n int) string {
	s = strings.ToValidUTF8(s, "")
	for len(s) > n {
		_, size := utf8.DecodeLastRuneInString(s)
		s = s[:len(s)-size]
	}
	return s
}
