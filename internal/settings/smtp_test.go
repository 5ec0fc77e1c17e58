package settings_test

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"fastcms/internal/app"
	"fastcms/internal/apptest"
	"fastcms/internal/config"
)

// smtpServer is a real SMTP server on a local port that keeps what it is
// sent: enough of RFC 5321 for net/smtp (EHLO, AUTH PLAIN, MAIL, RCPT,
// DATA, QUIT), without TLS, which net/smtp allows towards 127.0.0.1.
type smtpServer struct {
	ln   net.Listener
	mu   sync.Mutex
	auth []string // "user:password" of each AUTH PLAIN
	mail []string // each message as sent after DATA
}

func startSMTP(t *testing.T) *smtpServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &smtpServer{ln: ln}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go s.serve(conn)
		}
	}()
	return s
}

func (s *smtpServer) port() int { return s.ln.Addr().(*net.TCPAddr).Port }

func (s *smtpServer) serve(conn net.Conn) {
	defer conn.Close()
	r := bufio.NewReader(conn)
	say := func(line string) { conn.Write([]byte(line + "\r\n")) } //nolint:errcheck // the client sees a failed write
	say("220 test ESMTP")
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		line = strings.TrimRight(line, "\r\n")
		verb := strings.ToUpper(strings.SplitN(line, " ", 2)[0])
		switch verb {
		case "EHLO":
			say("250-test")
			say("250 AUTH PLAIN")
		case "AUTH":
			parts := strings.Fields(line)
			raw, _ := base64.StdEncoding.DecodeString(parts[len(parts)-1])
			fields := strings.Split(string(raw), "\x00")
			s.mu.Lock()
			s.auth = append(s.auth, fields[1]+":"+fields[2])
			s.mu.Unlock()
			say("235 accepted")
		case "DATA":
			say("354 go on")
			var msg strings.Builder
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" {
					break
				}
				msg.WriteString(l)
			}
			s.mu.Lock()
			s.mail = append(s.mail, msg.String())
			s.mu.Unlock()
			say("250 queued")
		case "QUIT":
			say("221 bye")
			return
		default: // MAIL, RCPT, RSET, NOOP
			say("250 ok")
		}
	}
}

// received is what the server has been sent so far.
func (s *smtpServer) received() (auth, mail []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string{}, s.auth...), append([]string{}, s.mail...)
}

// withSMTP makes the server send mail through its settings (the real
// sender) instead of into the test mailbox.
func withSMTP(_ *config.Config, o *app.Options) { o.Mail = nil }

// The mail sender follows the SMTP settings: set on one instance, a mail
// that the other sends goes through the new server, as the new user and
// from the new address; the password never comes back.
func TestLiveSMTP(t *testing.T) {
	a, b := apptest.Start(t, withSMTP), apptest.Start(t, withSMTP)
	root := admin(t, a)
	user(t, a, "mailme@example.com")
	srv := startSMTP(t)

	set(t, a, root.Access, "smtp_port", srv.port())
	set(t, a, root.Access, "smtp_username", "mailer")
	setGraphQL(t, a, root.Access, "smtp_password", "smtp-hunter2")
	set(t, a, root.Access, "smtp_from", "cms@example.com")
	set(t, a, root.Access, "smtp_host", "127.0.0.1")

	sent := 0
	onBoth(t, a, b, "smtp_host", func(s *apptest.Server) bool {
		if r := s.Do(t, http.MethodPost, "/api/v1/auth/request-password-reset", map[string]any{"email": "mailme@example.com"}, ""); r.Status != http.StatusNoContent {
			t.Fatalf("request reset: %d %s", r.Status, r.Body)
		}
		sent++
		// The mail leaves after the response; give it the rest of the second.
		for range 50 {
			if _, mail := srv.received(); len(mail) == sent {
				return true
			}
			time.Sleep(10 * time.Millisecond)
		}
		return false
	})
	auth, mail := srv.received()
	if auth[len(auth)-1] != "mailer:smtp-hunter2" {
		t.Fatalf("AUTH %q, want mailer:smtp-hunter2", auth)
	}
	if last := mail[len(mail)-1]; !strings.HasPrefix(last, "From: cms@example.com\r\nTo: mailme@example.com\r\nSubject: ") {
		t.Fatalf("mail:\n%s", last)
	}

	// The password is write-only on both instances, REST and GraphQL.
	for _, s := range []*apptest.Server{a, b} {
		apptest.ExpectJSON(t, s.Do(t, http.MethodGet, "/api/v1/settings/email", nil, root.Access), http.StatusOK, map[string]any{
			"smtp_host":     known("smtp_host", "127.0.0.1", "database"),
			"smtp_port":     known("smtp_port", srv.port(), "database"),
			"smtp_username": known("smtp_username", "mailer", "database"),
			"smtp_password": known("smtp_password", nil, "database"),
			"smtp_from":     known("smtp_from", "cms@example.com", "database"),
		})
		all := s.Do(t, http.MethodGet, "/api/v1/settings", nil, root.Access)
		gql, _ := s.GraphQL(t, `{ settings { key value } }`, nil, root.Access)
		if bytes.Contains(all.Body, []byte("hunter2")) || bytes.Contains(gql.Body, []byte("hunter2")) {
			t.Fatalf("the SMTP password came back: %s %s", all.Body, gql.Body)
		}
	}
}
