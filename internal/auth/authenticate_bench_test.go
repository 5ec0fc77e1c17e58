package auth

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"fastcms/internal/config"
	"fastcms/internal/mail"
	"fastcms/internal/notify"
	"fastcms/internal/pgtest"
)

func newTestService(tb testing.TB) *Service {
	tb.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	hub, err := notify.Start(pgtest.URL(), log)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { hub.Close() })
	s, err := New(pgtest.Open(tb), hub, mail.New(func() config.SMTP { return config.SMTP{} }, log), log, Options{
		Secret: []byte("bench-secret-bench-secret-bench-secret"), Policy: func() Policy { return Policy{AccessTTL: time.Hour, RefreshTTL: time.Hour, PasswordMinLength: 8} }, BcryptCost: 4,
	})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(s.Close)
	return s
}

// BenchmarkAuthenticate measures the per-request cost of authentication,
// side by side: the JWT check alone, the full check with the user's state
// cached (the steady state), and the full check when every request misses
// the cache (what a per-request database lookup would cost).
func BenchmarkAuthenticate(b *testing.B) {
	s := newTestService(b)
	ctx := context.Background()
	res, err := s.Register(ctx, RegisterInput{Email: "bench@example.com", Password: "bench1234", PasswordConfirm: "bench1234"}, Client{})
	if err != nil {
		b.Fatal(err)
	}
	token := res.Tokens.AccessToken

	b.Run("jwt-only", func(b *testing.B) {
		for b.Loop() {
			if _, err := s.parseAccess(token); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("cached", func(b *testing.B) {
		for b.Loop() {
			if _, err := s.Authenticate(ctx, token); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("uncached", func(b *testing.B) {
		for b.Loop() {
			s.cache.flush()
			if _, err := s.Authenticate(ctx, token); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("cached-parallel", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := s.Authenticate(ctx, token); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}
