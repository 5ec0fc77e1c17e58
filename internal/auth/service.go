// Package auth owns accounts, sessions and tokens: registration, login,
// refresh-token rotation with reuse detection, logout everywhere, mailed
// one-time tokens, and the admin's user management. REST and GraphQL both
// call it, so both answer alike.
package auth

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/lib/pq"
	"github.com/uptrace/bun"
	"golang.org/x/crypto/bcrypt"

	"fastcms/internal/apierr"
	"fastcms/internal/mail"
	"fastcms/internal/notify"
)

// notifyChannel carries the id of a user whose role, email or sessions
// changed, so every instance drops its cached view of that user.
const notifyChannel = "fastcms_auth"

// NotifyChannel is notifyChannel for a restore (internal/backups), which
// notifies it with an empty payload so every instance reloads everything.
const NotifyChannel = notifyChannel

// Options configures the service.
type Options struct {
	Secret []byte
	// Policy is read at each use, so a change of the live settings
	// applies to the next token, session or password.
	Policy func() Policy
	// PublicURL prefixes the links in mails.
	PublicURL string
	// BcryptCost defaults to bcrypt.DefaultCost; tests lower it.
	BcryptCost int
	// Now defaults to time.Now; tests move it.
	Now func() time.Time
	// Throttle limits login, register and the mail requests.
	Throttle ThrottleOptions
}

// Policy is the part of auth that admins tune at run time (settings).
type Policy struct {
	AccessTTL  time.Duration
	RefreshTTL time.Duration
	// PasswordMinLength is the fewest characters a new password may have;
	// PasswordLetterAndDigit requires one of each.
	PasswordMinLength      int
	PasswordLetterAndDigit bool
}

// Service is the auth service. It is safe for concurrent use.
type Service struct {
	db    *bun.DB
	opts  Options
	mail  mail.Sender
	log   *slog.Logger
	cache *principalCache
	// verified remembers access tokens already verified (tokens.go).
	verified verifiedTokens
	// throttle limits guessing and mail requests; bg sends mail after the response.
	throttle *throttle
	bg       *background
	// dummyHash is what checkPassword compares against when there is no hash.
	dummyHash []byte

	listenMu  sync.Mutex
	listeners []func(userID string)
}

// OnChange calls fn with the id of every user whose role, email or
// sessions changed, on this instance or another, once the cached view of
// that user is dropped (so Authenticate already sees the change); "" means
// any user (the cache was flushed after a lost database connection).
// Websockets use it to close when their session ends.
func (s *Service) OnChange(fn func(userID string)) {
	s.listenMu.Lock()
	defer s.listenMu.Unlock()
	s.listeners = append(s.listeners, fn)
}

// dropped drops userID's cached view ("" for all) and tells the listeners.
func (s *Service) dropped(userID string) {
	if userID == "" {
		s.cache.flush()
	} else {
		s.cache.drop(userID)
	}
	s.listenMu.Lock()
	fns := s.listeners
	s.listenMu.Unlock()
	for _, fn := range fns {
		fn(userID)
	}
}

// New builds the service and subscribes its cache to changes made by other
// instances through hub.
func New(db *bun.DB, hub *notify.Hub, sender mail.Sender, log *slog.Logger, opts Options) (*Service, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.BcryptCost == 0 {
		opts.BcryptCost = defaultBcryptCost
	}
	dummy, err := bcrypt.GenerateFromPassword(prehash("not a password"), opts.BcryptCost)
	if err != nil {
		return nil, err
	}
	s := &Service{db: db, opts: opts, mail: sender, log: log, dummyHash: dummy}
	s.cache = newPrincipalCache(s.loadPrincipal, opts.Now)
	s.throttle = newThrottle(opts.Throttle, opts.Now)
	if _, err := hub.Subscribe(notifyChannel, s.dropped); err != nil {
		return nil, err
	}
	hub.OnReconnect(func() { s.dropped("") })
	s.startBackground()
	return s, nil
}

// changed tells every instance, at commit of tx, that userID's cached view is stale.
func changed(ctx context.Context, tx bun.IDB, userID string) error {
	_, err := tx.ExecContext(ctx, "SELECT pg_notify(?, ?)", notifyChannel, userID)
	return err
}

// inTx runs fn in a transaction and then drops the cached view of the users
// it reports as changed, so this instance is consistent before the NOTIFY
// round trip completes.
func (s *Service) inTx(ctx context.Context, fn func(tx bun.Tx) (changedUsers []string, err error)) error {
	var users []string
	err := s.db.RunInTx(ctx, &sql.TxOptions{}, func(ctx context.Context, tx bun.Tx) error {
		var err error
		users, err = fn(tx)
		if err != nil {
			return err
		}
		for _, id := range users {
			if err := changed(ctx, tx, id); err != nil {
				return err
			}
		}
		return nil
	})
	for _, id := range users {
		s.dropped(id)
	}
	return err
}

// uniqueEmail turns a unique violation on users' email into a 409.
func uniqueEmail(err error) error {
	var pqErr *pq.Error
	if errors.As(err, &pqErr) && pqErr.Code == "23505" && pqErr.Constraint == "users_email_key" {
		return apierr.Conflict("a user with this email already exists")
	}
	return err
}

func isNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }
