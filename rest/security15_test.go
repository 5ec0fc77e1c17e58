package rest_test

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"fastcms/internal/app"
	"fastcms/internal/apptest"
	"fastcms/internal/config"
	"fastcms/internal/mail"
)

// limits starts a server whose auth routes allow perIP attempts a minute
// per client address and perAccount per email address.
func limits(perIP, perAccount int) apptest.Option {
	return func(c *config.Config, _ *app.Options) {
		c.Throttle.PerIP, c.Throttle.PerAccount = perIP, perAccount
	}
}

// expectThrottled checks a 429 in the envelope with a Retry-After header of
// at most max seconds that matches details.retry_after.
func expectThrottled(t *testing.T, r *apptest.Response, max int) {
	t.Helper()
	secs, err := strconv.Atoi(r.Header.Get("Retry-After"))
	if err != nil || secs < 1 || secs > max {
		t.Fatalf("Retry-After %q, want 1..%d (status %d %s)", r.Header.Get("Retry-After"), max, r.Status, r.Body)
	}
	apptest.ExpectJSON(t, r, http.StatusTooManyRequests, map[string]any{"error": "too many requests",
		"message": "too many attempts; try again in " + strconv.Itoa(secs) + " seconds", "details": map[string]any{"retry_after": float64(secs)}})
}

func post(t *testing.T, s *apptest.Server, path string, body map[string]any, token string) *apptest.Response {
	t.Helper()
	return s.Do(t, http.MethodPost, "/api/v1/auth/"+path, body, token)
}

// TestSecurity15Throttling: login, register and the mail requests are
// limited per client address and per account, with a 429 and Retry-After.
func TestSecurity15Throttling(t *testing.T) {
	t.Parallel()

	t.Run("login per account", func(t *testing.T) {
		now := time.Now()
		var mu sync.Mutex
		clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
		s := apptest.Start(t, limits(100, 3), apptest.WithNow(clock))
		acc := register(t, s, newEmail("t15login"))
		for i := range 3 {
			email := acc.Email
			if i == 1 {
				email = strings.ToUpper(email) // the same account
			}
			expectUnauthorized(t, post(t, s, "login", map[string]any{"email": email, "password": "wrong1234"}, ""), "Invalid email or password")
		}
		// The right password does not get through either: no guessing past the limit.
		expectThrottled(t, post(t, s, "login", map[string]any{"email": acc.Email, "password": password}, ""), 20)
		// Another account from the same address is not affected.
		other := register(t, s, newEmail("t15other"))
		login(t, s, other.Email, password)
		// A minute later the account may try again.
		mu.Lock()
		now = now.Add(time.Minute)
		mu.Unlock()
		login(t, s, acc.Email, password)
	})

	t.Run("login and register per address", func(t *testing.T) {
		s := apptest.Start(t, limits(3, 100))
		for range 3 {
			expectUnauthorized(t, post(t, s, "login", map[string]any{"email": newEmail("t15nobody"), "password": password}, ""), "Invalid email or password")
		}
		expectThrottled(t, post(t, s, "login", map[string]any{"email": newEmail("t15nobody"), "password": password}, ""), 20)

		first := register(t, s, newEmail("t15reg"))
		// A taken email is still a 409, as clients expect; it counts against the address.
		r := post(t, s, "register", map[string]any{"email": first.Email, "password": password, "password_confirm": password}, "")
		apptest.ExpectError(t, r, http.StatusConflict, "conflict", "a user with this email already exists", nil)
		register(t, s, newEmail("t15reg"))
		r = post(t, s, "register", map[string]any{"email": newEmail("t15reg"), "password": password, "password_confirm": password}, "")
		expectThrottled(t, r, 20)
	})

	t.Run("mail requests per account", func(t *testing.T) {
		s := apptest.Start(t, limits(100, 2))
		acc := register(t, s, newEmail("t15mail"))
		for _, path := range []string{"request-password-reset", "request-verification"} {
			for _, email := range []string{acc.Email, newEmail("t15ghost")} {
				for range 2 {
					r := post(t, s, path, map[string]any{"email": email}, "")
					if r.Status != http.StatusNoContent || len(r.Body) != 0 {
						t.Fatalf("%s %s: %d %s", path, email, r.Status, r.Body)
					}
				}
				// Existing or not, the third is refused alike.
				expectThrottled(t, post(t, s, path, map[string]any{"email": email}, ""), 30)
			}
		}
		body := map[string]any{"new_email": newEmail("t15new"), "password": "wrong1234"}
		for range 2 {
			r := post(t, s, "request-email-change", body, acc.Access)
			apptest.ExpectError(t, r, http.StatusUnprocessableEntity, "validation failed", "password: is incorrect", map[string]string{"password": "is incorrect"})
		}
		expectThrottled(t, post(t, s, "request-email-change", body, acc.Access), 30)
	})

	t.Run("mail requests per address", func(t *testing.T) {
		s := apptest.Start(t, limits(2, 100))
		for _, path := range []string{"request-password-reset", "request-verification"} {
			for range 2 {
				if r := post(t, s, path, map[string]any{"email": newEmail("t15ip")}, ""); r.Status != http.StatusNoContent {
					t.Fatalf("%s: %d %s", path, r.Status, r.Body)
				}
			}
			expectThrottled(t, post(t, s, path, map[string]any{"email": newEmail("t15ip")}, ""), 30)
		}
	})
}

// blockingMail holds every mail until released, like a slow SMTP server.
type blockingMail struct {
	release chan struct{}
	box     apptest.Mailbox
}

func (b *blockingMail) Send(ctx context.Context, m mail.Message) error {
	<-b.release
	return b.box.Send(ctx, m)
}

// TestSecurity15MailDoesNotDelayTheAnswer: reset and verification requests
// answer 204 without waiting for the mail, so their timing does not tell
// an existing account from a missing one; the mail still goes out.
func TestSecurity15MailDoesNotDelayTheAnswer(t *testing.T) {
	t.Parallel()
	slow := &blockingMail{release: make(chan struct{})}
	released := false
	release := func() {
		if !released {
			released = true
			close(slow.release)
		}
	}
	s := apptest.Start(t, func(_ *config.Config, o *app.Options) { o.Mail = slow })
	t.Cleanup(release) // runs before the server's cleanup, which waits for queued mail
	// within fails the test when a request waits for the mail server.
	within := func(what string, req func() *apptest.Response) *apptest.Response {
		t.Helper()
		done := make(chan *apptest.Response, 1)
		go func() { done <- req() }()
		select {
		case r := <-done:
			return r
		case <-time.After(3 * time.Second):
			t.Fatalf("%s waited for the mail server", what)
			return nil
		}
	}
	email := newEmail("t15slow")
	r := within("register", func() *apptest.Response {
		return post(t, s, "register", map[string]any{"email": email, "password": password, "password_confirm": password}, "")
	})
	if r.Status != http.StatusCreated {
		t.Fatalf("register with a blocked mail server: %d %s", r.Status, r.Body)
	}
	for _, path := range []string{"request-password-reset", "request-verification"} {
		for _, addr := range []string{email, newEmail("t15ghost")} {
			r := within(path+" "+addr, func() *apptest.Response { return post(t, s, path, map[string]any{"email": addr}, "") })
			if r.Status != http.StatusNoContent || len(r.Body) != 0 {
				t.Fatalf("%s %s: %d %s", path, addr, r.Status, r.Body)
			}
		}
	}
	release()
	s.Mail = &slow.box
	s.Mail.Last(t, email, "Reset your password")
	if n := s.Mail.Count(email, "Verify your email"); n > 2 {
		t.Fatalf("%d verification mails", n)
	}
	s.Mail.Nth(t, email, "Verify your email", 2)
}
