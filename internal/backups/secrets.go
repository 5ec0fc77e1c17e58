package backups

import (
	"context"
	"database/sql"
	"slices"

	"github.com/lib/pq"

	"fastcms/internal/settings"
)

// Secret settings (settings.IsSecret: the SMTP password, custom keys named
// like credentials) are excluded from archives rather than encrypted: an
// archive is downloaded, uploaded and copied between servers, and an
// encryption key kept beside it would protect nothing, while one kept
// elsewhere would be one more secret to lose. The manifest lists the
// excluded keys by name only, and a restore keeps the live values of
// secret settings (see keepSecrets), so restoring never erases a
// credential nor brings back an old one.

// secretKeys lists the keys of the secret settings stored in q's snapshot.
func secretKeys(ctx context.Context, q querier) ([]string, error) {
	all, err := column(ctx, q, `SELECT key FROM settings ORDER BY key`)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(all, func(k string) bool { return !settings.IsSecret(k) }), nil
}

// partFilter is the WHERE clause and its argument that leave the secret
// settings out of the settings part; other tables are read whole.
func partFilter(table string, secrets []string) (string, []any) {
	if table != "public.settings" {
		return "", nil
	}
	return ` WHERE NOT (t.key = ANY($1))`, []any{pq.Array(secrets)}
}

// keepSecrets empties the settings table except for its secret rows, in
// place of truncating it, so the archive's rows load beside them.
func keepSecrets(ctx context.Context, tx *sql.Tx) error {
	secrets, err := secretKeys(ctx, tx)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `DELETE FROM settings WHERE NOT (key = ANY($1))`, pq.Array(secrets))
	return err
}

// conflictClause makes a secret setting in an archive (one written before
// its key counted as secret) give way to the live value.
func conflictClause(table string) string {
	if table == "public.settings" {
		return ` ON CONFLICT (key) DO NOTHING`
	}
	return ""
}

// withoutSettings is the system tables but settings, which keepSecrets
// empties instead of TRUNCATE.
func withoutSettings(tables []string) []string {
	return slices.DeleteFunc(slices.Clone(tables), func(t string) bool { return t == "settings" })
}
