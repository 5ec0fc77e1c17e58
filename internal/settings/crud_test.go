package settings_test

import (
	"bytes"
	"net/http"
	"testing"

	"fastcms/internal/app"
	"fastcms/internal/apptest"
	"fastcms/internal/config"
)

func TestSettingsREST(t *testing.T) {
	// SMTP_PASSWORD set in the environment pins smtp_password.
	s := apptest.Start(t, func(c *config.Config, _ *app.Options) {
		c.SMTP.Password, c.FromEnv = "from-the-env", map[string]bool{"SMTP_PASSWORD": true}
	})
	root := admin(t, s)
	u := user(t, s, "plain@example.com")

	apptest.ExpectError(t, s.Do(t, http.MethodGet, "/api/v1/settings", nil, ""), http.StatusUnauthorized, "unauthorized", "authentication required", nil)
	apptest.ExpectError(t, s.Do(t, http.MethodGet, "/api/v1/settings", nil, u.Access), http.StatusForbidden, "forbidden", "admin access required", nil)
	apptest.ExpectError(t, s.Do(t, http.MethodPost, "/api/v1/settings", map[string]any{"key": "x", "value": 1}, u.Access), http.StatusForbidden, "forbidden", "admin access required", nil)
	apptest.ExpectError(t, s.Do(t, http.MethodDelete, "/api/v1/settings/x", nil, u.Access), http.StatusForbidden, "forbidden", "admin access required", nil)

	// Known keys show their default or environment value; secrets never.
	defaults := listing(map[string]map[string]any{"smtp_password": entry(nil, descSMTP, "environment", true)})
	apptest.ExpectJSON(t, s.Do(t, http.MethodGet, "/api/v1/settings/app", nil, root.Access), http.StatusOK, withOAuthDefaults(map[string]any{
		"maintenance_mode": entry(false, descMaintenance, "default", false), "events_retention": known("events_retention", "24h", "default"),
		"backup_schedule": entry("", descBackupSchedule, "default", false), "backup_retention": entry(7, descBackupRetention, "default", false)}))
	apptest.ExpectJSON(t, s.Do(t, http.MethodGet, "/api/v1/settings", nil, root.Access), http.StatusOK, defaults)

	// Upserts: a custom key (any JSON), a known key, secrets.
	feature := map[string]any{"beta": true, "ratio": 0.5, "tags": []any{"a", "b"}}
	apptest.ExpectJSON(t, s.Do(t, http.MethodPost, "/api/v1/settings", map[string]any{"key": "new_editor", "value": feature, "description": "the new editor"}, root.Access),
		http.StatusOK, map[string]any{"key": "new_editor", "category": "custom", "value": feature, "description": "the new editor", "source": "database", "secret": false})
	apptest.ExpectJSON(t, s.Do(t, http.MethodPost, "/api/v1/settings", map[string]any{"key": "new_editor", "value": "off"}, root.Access),
		http.StatusOK, map[string]any{"key": "new_editor", "category": "custom", "value": "off", "description": "the new editor", "source": "database", "secret": false})
	apptest.ExpectJSON(t, s.Do(t, http.MethodPost, "/api/v1/settings", map[string]any{"key": "max_file_size", "value": 2048, "category": "storage"}, root.Access),
		http.StatusOK, map[string]any{"key": "max_file_size", "category": "storage", "value": 2048, "description": descFileSize, "source": "database", "secret": false})
	// The environment wins: a pinned key cannot be set here.
	apptest.ExpectError(t, s.Do(t, http.MethodPost, "/api/v1/settings", map[string]any{"key": "smtp_password", "value": "hunter2-secret"}, root.Access),
		http.StatusConflict, "conflict", "smtp_password is set by the environment variable SMTP_PASSWORD, which wins over a stored value: change it there", nil)
	apptest.ExpectJSON(t, s.Do(t, http.MethodPost, "/api/v1/settings", map[string]any{"key": "stripe_api_key", "value": "sk_live_hunter2"}, root.Access),
		http.StatusOK, map[string]any{"key": "stripe_api_key", "category": "custom", "value": nil, "description": "", "source": "database", "secret": true})

	all := s.Do(t, http.MethodGet, "/api/v1/settings", nil, root.Access)
	for _, secret := range []string{"hunter2", "from-the-env"} {
		if bytes.Contains(all.Body, []byte(secret)) {
			t.Fatalf("a secret came back: %s", all.Body)
		}
	}
	apptest.ExpectJSON(t, s.Do(t, http.MethodGet, "/api/v1/settings/custom", nil, root.Access), http.StatusOK, map[string]any{
		"new_editor":     entry("off", "the new editor", "database", false),
		"stripe_api_key": entry(nil, "", "database", true),
	})
	apptest.ExpectJSON(t, s.Do(t, http.MethodGet, "/api/v1/settings/storage", nil, root.Access), http.StatusOK, withStorageBackend(map[string]any{
		"max_file_size":      entry(2048, descFileSize, "database", false),
		"allowed_file_types": entry([]any{}, descFileTypes, "default", false),
	}))
	apptest.ExpectError(t, s.Do(t, http.MethodGet, "/api/v1/settings/mail", nil, root.Access), http.StatusNotFound, "not found",
		`no settings category "mail" (categories: app, email, security, storage, custom)`, nil)

	// Deleting a known key's row brings back its initial value.
	for _, key := range []string{"max_file_size", "new_editor", "stripe_api_key"} {
		if r := s.Do(t, http.MethodDelete, "/api/v1/settings/"+key, nil, root.Access); r.Status != http.StatusNoContent {
			t.Fatalf("delete %s: %d %s", key, r.Status, r.Body)
		}
	}
	apptest.ExpectError(t, s.Do(t, http.MethodDelete, "/api/v1/settings/new_editor", nil, root.Access), http.StatusNotFound, "not found", `setting "new_editor" is not stored`, nil)
	apptest.ExpectJSON(t, s.Do(t, http.MethodGet, "/api/v1/settings", nil, root.Access), http.StatusOK, defaults)
}

func TestSettingsValidation(t *testing.T) {
	s := apptest.Start(t)
	root := admin(t, s)
	for name, c := range map[string]struct {
		body           string
		status         int
		message, field string
	}{
		"bool as number":     {`{"key":"maintenance_mode","value":1}`, 422, "must be true or false", "maintenance_mode"},
		"int as string":      {`{"key":"api_rate_limit","value":"ten"}`, 422, "must be a whole number of at least 0", "api_rate_limit"},
		"int as fraction":    {`{"key":"api_rate_limit","value":1.5}`, 422, "must be a whole number of at least 0", "api_rate_limit"},
		"int below minimum":  {`{"key":"max_file_size","value":0}`, 422, "must be a whole number of at least 1", "max_file_size"},
		"bool as null":       {`{"key":"trust_x_forwarded_for","value":null}`, 422, "must be true or false", "trust_x_forwarded_for"},
		"secret as number":   {`{"key":"smtp_password","value":5}`, 422, "must be a string", "smtp_password"},
		"duration as number": {`{"key":"access_token_ttl","value":900}`, 422, `must be a duration like "15m" or "720h"`, "access_token_ttl"},
		"duration unparsed":  {`{"key":"refresh_token_ttl","value":"a month"}`, 422, `must be a duration of at least 1s, like "15m" or "720h"`, "refresh_token_ttl"},
		"duration too short": {`{"key":"events_retention","value":"10ms"}`, 422, `must be a duration of at least 1s, like "15m" or "720h"`, "events_retention"},
		"port out of range":  {`{"key":"smtp_port","value":70000}`, 422, "must be a whole number from 1 to 65535", "smtp_port"},
		"host as bool":       {`{"key":"smtp_host","value":true}`, 422, "must be a string", "smtp_host"},
		"length above max":   {`{"key":"password_min_length","value":101}`, 422, "must be a whole number from 1 to 100", "password_min_length"},
		"mix as string":      {`{"key":"password_require_letter_and_digit","value":"yes"}`, 422, "must be true or false", "password_require_letter_and_digit"},
		"origins as string":  {`{"key":"cors_origins","value":"https://app.example"}`, 422, `must be a list of origins like "https://app.example", or "*"`, "cors_origins"},
		"origin with path":   {`{"key":"cors_origins","value":["https://app.example/x"]}`, 422, `"https://app.example/x" is not an origin like "https://app.example" (scheme and host, no path), or "*"`, "cors_origins"},
		"depth zero":         {`{"key":"graphql_max_depth","value":0}`, 422, "must be a whole number of at least 1", "graphql_max_depth"},
		"complexity string":  {`{"key":"graphql_max_complexity","value":"5000"}`, 422, "must be a whole number of at least 1", "graphql_max_complexity"},
		"introspection null": {`{"key":"graphql_introspection","value":null}`, 422, "must be true or false", "graphql_introspection"},
		"wrong category":     {`{"key":"api_rate_limit","value":5,"category":"app"}`, 422, "api_rate_limit belongs to security", "category"},
		"unknown in app":     {`{"key":"dark_mode","value":true,"category":"app"}`, 422, "a key the server does not know belongs to custom", "category"},
		"no value":           {`{"key":"dark_mode"}`, 422, "is required", "value"},
		"bad key":            {`{"key":"Dark-Mode","value":true}`, 422, "must be 1 to 63 lower-case letters, digits and underscores, starting with a letter", "key"},
		"NUL in value":       {`{"key":"dark_mode","value":"a\u0000b"}`, 422, "must not contain NUL characters", "value"},
		"NUL in description": {`{"key":"dark_mode","value":true,"description":"a\u0000b"}`, 422, "must be at most 1000 characters, without NUL characters", "description"},
	} {
		t.Run(name, func(t *testing.T) {
			r := s.Do(t, http.MethodPost, "/api/v1/settings", c.body, root.Access)
			apptest.ExpectError(t, r, c.status, "validation failed", c.field+": "+c.message, map[string]string{c.field: c.message})
		})
	}
	apptest.ExpectError(t, s.Do(t, http.MethodPost, "/api/v1/settings", `{"key":"x","value":1,"secret":true}`, root.Access), http.StatusBadRequest,
		"bad request", `unknown field "secret"`, map[string]string{"secret": "is not a known field"})
}

// Descriptions of the backup schedule's keys (internal/backups).
const (
	descBackupSchedule  = `when to take a scheduled backup, a cron expression in UTC ("0 3 * * *" is daily at 03:00, "@hourly"); empty takes none`
	descBackupRetention = "how many scheduled backups to keep; older ones are deleted after each scheduled backup (other backups are never deleted)"
)
