// Package apptest runs the real server (app.New over the real router) on an
// httptest.Server against the package's pgtest database, with a client that
// speaks REST and GraphQL and records exact responses.
package apptest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"fastcms/internal/app"
	"fastcms/internal/config"
	"fastcms/internal/mail"
	"fastcms/internal/pgtest"
)

// Secret is the JWT secret of test servers, so tests can forge tokens.
const Secret = "test-secret-test-secret-test-secret-0123"

// Server is one running instance.
type Server struct {
	*httptest.Server
	App    *app.App
	Config *config.Config
	Mail   *Mailbox
	db     *bun.DB
}

// DB is the server's database handle, for arranging states no API reaches
// (an expired session, say).
func (s *Server) DB(testing.TB) *bun.DB { return s.db }

// Option adjusts the configuration or options before the server starts.
type Option func(*config.Config, *app.Options)

// WithNow replaces the server's clock.
func WithNow(now func() time.Time) Option {
	return func(_ *config.Config, o *app.Options) { o.Now = now }
}

// Start runs a server on the package's test database and stops it when tb ends.
func Start(tb testing.TB, opts ...Option) *Server {
	tb.Helper()
	cfg, err := config.Load(nil, func(string) string { return "" })
	if err != nil {
		tb.Fatal(err)
	}
	cfg.DatabaseURL = pgtest.URL()
	cfg.JWTSecret = []byte(Secret)
	cfg.MaxBodyBytes = 64 << 10
	cfg.DataDir = tb.TempDir()
	// Every test client is 127.0.0.1: tests that check the auth limits set
	// them (an Option); the others must not trip over them.
	cfg.Throttle = config.Throttle{}
	box := &Mailbox{}
	o := app.Options{Mail: box, BcryptCost: 4, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	for _, opt := range opts {
		opt(cfg, &o)
	}
	db := pgtest.Open(tb)
	// Parallel tests each run servers, and a test waiting for its turn
	// keeps its server: small pools that do not keep idle connections
	// long keep them all within PostgreSQL's default of 100 connections.
	db.SetMaxOpenConns(8)
	db.SetMaxIdleConns(2)
	db.SetConnMaxIdleTime(time.Second)
	a, err := app.New(cfg, db, o)
	if err != nil {
		tb.Fatal(err)
	}
	srv := httptest.NewServer(a.Handler)
	tb.Cleanup(func() {
		a.Drain()
		srv.Close()
		a.Close()
	})
	return &Server{Server: srv, App: a, Config: cfg, Mail: box, db: db}
}

// Response is a whole HTTP response, read.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body into a generic value.
func (r *Response) JSON(tb testing.TB) map[string]any {
	tb.Helper()
	var v map[string]any
	if err := json.Unmarshal(r.Body, &v); err != nil {
		tb.Fatalf("body is not a JSON object: %v: %s", err, r.Body)
	}
	return v
}

// Do sends a request. body may be nil, a string (sent as is, as JSON), an
// io.Reader (sent as is; give its Content-Type in headers) or any other
// value (sent as JSON); token, when not empty, goes in the Authorization
// header; headers are name, value pairs.
func (s *Server) Do(tb testing.TB, method, path string, body any, token string, headers ...string) *Response {
	tb.Helper()
	var rd io.Reader
	contentType := ""
	switch b := body.(type) {
	case nil:
	case string:
		rd, contentType = strings.NewReader(b), "application/json"
	case io.Reader:
		rd = b
	default:
		buf, err := json.Marshal(b)
		if err != nil {
			tb.Fatal(err)
		}
		rd, contentType = bytes.NewReader(buf), "application/json"
	}
	req, err := http.NewRequestWithContext(context.Background(), method, s.URL+path, rd)
	if err != nil {
		tb.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := s.Client().Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatal(err)
	}
	return &Response{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

// WaitFor polls ok until it holds, for at most a second: the bound of
// what reaches every instance through NOTIFY (settings, caches).
func WaitFor(tb testing.TB, what string, ok func() bool) {
	tb.Helper()
	deadline := time.Now().Add(time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			tb.Fatalf("%s: not within a second", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// GraphQL posts one operation and returns the decoded result.
func (s *Server) GraphQL(tb testing.TB, query string, vars map[string]any, token string) (*Response, map[string]any) {
	tb.Helper()
	r := s.Do(tb, http.MethodPost, "/graphql", map[string]any{"query": query, "variables": vars}, token)
	return r, r.JSON(tb)
}

// Mailbox records the mails the server sends, in place of an SMTP server.
type Mailbox struct {
	mu   sync.Mutex
	msgs []mail.Message
}

// Send records m.
func (b *Mailbox) Send(_ context.Context, m mail.Message) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.msgs = append(b.msgs, m)
	return nil
}

// Last returns the newest mail to addr with subject, waiting a little for
// one (mail is sent in the background), or fails tb.
func (b *Mailbox) Last(tb testing.TB, addr, subject string) mail.Message {
	tb.Helper()
	deadline := time.Now().Add(mailWait)
	for {
		if msgs := b.matching(addr, subject); len(msgs) > 0 {
			return msgs[len(msgs)-1]
		}
		if time.Now().After(deadline) {
			tb.Fatalf("no mail %q to %s", subject, addr)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Count is how many mails to addr with subject have arrived so far.
func (b *Mailbox) Count(addr, subject string) int { return len(b.matching(addr, subject)) }

// Nth waits for the nth (from 1) mail to addr with subject and returns it,
// or fails tb.
func (b *Mailbox) Nth(tb testing.TB, addr, subject string, n int) mail.Message {
	tb.Helper()
	deadline := time.Now().Add(mailWait)
	for {
		if msgs := b.matching(addr, subject); len(msgs) >= n {
			return msgs[n-1]
		}
		if time.Now().After(deadline) {
			tb.Fatalf("mail %q to %s number %d never came", subject, addr, n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// mailWait bounds how long a test waits for a mail sent in the background.
const mailWait = 5 * time.Second

func (b *Mailbox) matching(addr, subject string) []mail.Message {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []mail.Message
	for _, m := range b.msgs {
		if m.To == addr && m.Subject == subject {
			out = append(out, m)
		}
	}
	return out
}

// Token extracts the one-time token from a mail's body.
func Token(tb testing.TB, m mail.Message) string {
	tb.Helper()
	const marker = "send this token to the API: "
	i := strings.Index(m.Body, marker)
	if i < 0 {
		tb.Fatalf("no token in mail: %s", m.Body)
	}
	rest := m.Body[i+len(marker):]
	return strings.Fields(rest)[0]
}
