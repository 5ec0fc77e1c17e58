// Package mail sends the product's few messages (verification, password
// reset, email change). Without an SMTP host it logs them; their bodies, which
// hold live tokens, only when MAIL_LOG_BODIES says this is a developer machine.
// The SMTP configuration is read at every mail, so a change of the live
// settings applies to the next one.
package mail

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/smtp"
	"strconv"
	"strings"

	"fastcms/internal/config"
)

// Message is one plain-text mail.
type Message struct {
	To      string
	Subject string
	Body    string
}

// Sender delivers messages.
type Sender interface {
	Send(ctx context.Context, m Message) error
}

// New returns a sender that sends each message through the SMTP server
// current names, or logs it when there is no host.
func New(current func() config.SMTP, log *slog.Logger) Sender {
	return liveSender{current, log}
}

type liveSender struct {
	current func() config.SMTP
	log     *slog.Logger
}

func (s liveSender) Send(ctx context.Context, m Message) error {
	cfg := s.current()
	if cfg.Host == "" {
		return logSender{s.log, cfg.LogBodies}.Send(ctx, m)
	}
	return smtpSender{cfg}.Send(ctx, m)
}

type logSender struct {
	log    *slog.Logger
	bodies bool
}

func (s logSender) Send(_ context.Context, m Message) error {
	if !s.bodies {
		s.log.Info("mail (no SMTP configured; body not logged, set MAIL_LOG_BODIES=true in development)", "to", m.To, "subject", m.Subject)
		return nil
	}
	s.log.Info("mail (no SMTP configured)", "to", m.To, "subject", m.Subject, "body", m.Body)
	return nil
}

type smtpSender struct{ cfg config.SMTP }

func (s smtpSender) Send(_ context.Context, m Message) error {
	if strings.ContainsAny(m.To+m.Subject, "\r\n") {
		return fmt.Errorf("mail: header injection refused")
	}
	addr := net.JoinHostPort(s.cfg.Host, strconv.Itoa(s.cfg.Port))
	var auth smtp.Auth
	if s.cfg.Username != "" {
		auth = smtp.PlainAuth("", s.cfg.Username, s.cfg.Password, s.cfg.Host)
	}
	body := fmt.Sprintf("From: %s\r\nTo: %s\r\nSubject: %s\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n%s\r\n",
		s.cfg.From, m.To, m.Subject, m.Body)
	return smtp.SendMail(addr, auth, s.cfg.From, []string{m.To}, []byte(body))
}
