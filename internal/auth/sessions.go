package auth

import (
	"context"
	"time"

	"github.com/uptrace/bun"

	"fastcms/dbmodel"
	"fastcms/internal/apierr"
	"fastcms/internal/ids"
)

// Refresh rotates a refresh token: the presented token dies and a new pair
// is issued. Presenting a token that was already rotated is taken as theft
// and revokes the whole session, so the thief's copy dies with the victim's.
func (s *Service) Refresh(ctx context.Context, refresh string) (*Tokens, error) {
	if refresh == "" {
		return nil, apierr.InvalidField("refresh_token", "is required")
	}
	var tokens *Tokens
	var reused bool
	now := s.opts.Now()
	err := s.inTx(ctx, func(tx bun.Tx) ([]string, error) {
		var row struct {
			SessionID string
			UsedAt    *time.Time
			UserID    string
			RevokedAt *time.Time
			ExpiresAt time.Time
		}
		err := tx.NewRaw(`SELECT rt.session_id, rt.used_at, s.user_id, s.revoked_at, s.expires_at
			FROM refresh_tokens rt JOIN sessions s ON s.id = rt.session_id
			WHERE rt.token_hash = ? FOR UPDATE`, hashToken(refresh)).Scan(ctx, &row)
		if isNoRows(err) {
			return nil, apierr.Unauthorized("invalid refresh token")
		}
		if err != nil {
			return nil, err
		}
		if row.RevokedAt != nil || !row.ExpiresAt.After(now) {
			return nil, apierr.Unauthorized("refresh token expired or revoked")
		}
		if row.UsedAt != nil {
			reused = true
			_, err := tx.NewUpdate().Model((*dbmodel.Session)(nil)).Set("revoked_at = ?", now).Where("id = ?", row.SessionID).Exec(ctx)
			return []string{row.UserID}, err
		}
		if _, err := tx.NewUpdate().Model((*dbmodel.RefreshToken)(nil)).Set("used_at = ?", now).Where("token_hash = ?", hashToken(refresh)).Exec(ctx); err != nil {
			return nil, err
		}
		if _, err := tx.NewUpdate().Model((*dbmodel.Session)(nil)).
			Set("last_used = ?", now).Set("expires_at = ?", now.Add(s.opts.Policy().RefreshTTL)).
			Where("id = ?", row.SessionID).Exec(ctx); err != nil {
			return nil, err
		}
		next, hash := randomToken()
		if _, err := tx.NewInsert().Model(&dbmodel.RefreshToken{TokenHash: hash, SessionID: row.SessionID, Created: now}).Exec(ctx); err != nil {
			return nil, err
		}
		tokens, err = s.issue(row.UserID, row.SessionID, next)
		return []string{row.UserID}, err
	})
	if err != nil {
		return nil, err
	}
	if reused {
		s.log.Warn("refresh token reused: session revoked")
		return nil, apierr.Unauthorized("refresh token was already used; the session has been revoked")
	}
	return tokens, nil
}

// Logout ends the session of a refresh token. An unknown or dead token is
// not an error: the caller's goal, a dead session, holds either way.
func (s *Service) Logout(ctx context.Context, refresh string) error {
	if refresh == "" {
		return apierr.InvalidField("refresh_token", "is required")
	}
	return s.inTx(ctx, func(tx bun.Tx) ([]string, error) {
		var userIDs []string
		err := tx.NewRaw(`UPDATE sessions SET revoked_at = ? WHERE revoked_at IS NULL
			AND id = (SELECT session_id FROM refresh_tokens WHERE token_hash = ?) RETURNING user_id`,
			s.opts.Now(), hashToken(refresh)).Scan(ctx, &userIDs)
		return userIDs, err
	})
}

// LogoutAll revokes every session of the caller, and with them every access
// token issued before now.
func (s *Service) LogoutAll(ctx context.Context, p *Principal) error {
	return s.revokeSessions(ctx, p.UserID, "")
}

// revokeSessions revokes all of userID's sessions but keep.
func (s *Service) revokeSessions(ctx context.Context, userID, keep string) error {
	return s.inTx(ctx, func(tx bun.Tx) ([]string, error) {
		return []string{userID}, revokeSessionsTx(ctx, tx, userID, keep, s.opts.Now())
	})
}

func revokeSessionsTx(ctx context.Context, tx bun.Tx, userID, keep string, now time.Time) error {
	q := tx.NewUpdate().Model((*dbmodel.Session)(nil)).Set("revoked_at = ?", now).
		Where("user_id = ?", userID).Where("revoked_at IS NULL")
	if keep != "" {
		q = q.Where("id <> ?", keep)
	}
	_, err := q.Exec(ctx)
	return err
}

// SessionInfo is one live session of a user.
type SessionInfo struct {
	dbmodel.Session
	Current bool
}

// Sessions lists the caller's live sessions, newest use first.
func (s *Service) Sessions(ctx context.Context, p *Principal) ([]SessionInfo, error) {
	var rows []dbmodel.Session
	err := s.db.NewSelect().Model(&rows).Where("user_id = ?", p.UserID).Where("revoked_at IS NULL").
		Where("expires_at > ?", s.opts.Now()).Order("last_used DESC", "id").Scan(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]SessionInfo, len(rows))
	for i, r := range rows {
		out[i] = SessionInfo{Session: r, Current: r.ID == p.SessionID}
	}
	return out, nil
}

// RevokeSession ends one of the caller's sessions; another user's session is a 404.
func (s *Service) RevokeSession(ctx context.Context, p *Principal, id string) error {
	if !ids.IsUUID(id) {
		return apierr.NotFound("session not found")
	}
	return s.inTx(ctx, func(tx bun.Tx) ([]string, error) {
		res, err := tx.NewUpdate().Model((*dbmodel.Session)(nil)).Set("revoked_at = ?", s.opts.Now()).
			Where("id = ?", id).Where("user_id = ?", p.UserID).Where("revoked_at IS NULL").Exec(ctx)
		if err != nil {
			return nil, err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil, apierr.NotFound("session not found")
		}
		return []string{p.UserID}, nil
	})
}
