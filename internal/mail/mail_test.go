package mail

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"

	"fastcms/internal/config"
)

// TestSecurity17MailLogWithoutBodies: without SMTP a mail is logged, but
// its body (which holds live reset and verification tokens) only when the
// development flag asks for it.
func TestSecurity17MailLogWithoutBodies(t *testing.T) {
	const secret = "reset-token-abc123"
	m := Message{To: "a@example.com", Subject: "Reset your password", Body: "Open this link: http://x/reset-password?token=" + secret}
	for _, c := range []struct {
		name       string
		cfg        config.SMTP
		wantSecret bool
	}{
		{"default", config.SMTP{}, false},
		{"MAIL_LOG_BODIES", config.SMTP{LogBodies: true}, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := New(func() config.SMTP { return c.cfg }, slog.New(slog.NewTextHandler(&buf, nil))).Send(context.Background(), m); err != nil {
				t.Fatal(err)
			}
			out := buf.String()
			if !strings.Contains(out, "a@example.com") || !strings.Contains(out, "Reset your password") {
				t.Fatalf("the log does not say which mail: %s", out)
			}
			if strings.Contains(out, secret) != c.wantSecret {
				t.Fatalf("token in the log: %v, want %v: %s", !c.wantSecret, c.wantSecret, out)
			}
		})
	}
}

func TestConfigReadsMailLogBodies(t *testing.T) {
	for env, want := range map[string]bool{"": false, "true": true, "false": false} {
		cfg, err := config.Load(nil, func(k string) string {
			if k == "MAIL_LOG_BODIES" {
				return env
			}
			return ""
		})
		if err != nil || cfg.SMTP.LogBodies != want {
			t.Fatalf("MAIL_LOG_BODIES=%q: %v %v, want %v", env, cfg.SMTP.LogBodies, err, want)
		}
	}
	if _, err := config.Load(nil, func(k string) string {
		if k == "MAIL_LOG_BODIES" {
			return "maybe"
		}
		return ""
	}); err == nil {
		t.Fatal("MAIL_LOG_BODIES=maybe was accepted")
	}
}
