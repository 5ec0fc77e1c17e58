package oauth

import (
	"strings"

	"fastcms/internal/apierr"
	"fastcms/internal/config"
)

// maxRedirect bounds the front-end URL, which rides in the state through
// the provider and back.
const maxRedirect = 2000

// allowRedirect checks target, the front-end URL a login asked to end at,
// against the allow-list, and returns it in Go's canonical form (what was
// checked is what the browser is sent to). An entry allows a URL with
// exactly its scheme and host (and port) and a path under its path, so
// the callback's tokens reach only the front-ends the operator named:
// never an open redirect.
func allowRedirect(target string, allow []string) (string, error) {
	if len(target) > maxRedirect {
		return "", invalidRedirect("must be at most 2000 characters")
	}
	u, err := config.ParseRedirectURL(target)
	if err != nil {
		return "", invalidRedirect(err.Error())
	}
	for _, entry := range allow {
		p, err := config.ParseRedirectPrefix(entry)
		if err == nil && p.Scheme == u.Scheme && p.Host == u.Host && underPath(u.Path, p.Path) {
			return u.String(), nil
		}
	}
	return "", invalidRedirect("is not on the allow-list of front-end URLs (oauth_redirect_allowlist)")
}

// underPath reports whether path is prefix or below it, segment-wise: the
// prefix /app allows /app and /app/x, not /application.
func underPath(path, prefix string) bool {
	prefix = strings.TrimSuffix(prefix, "/")
	return path == prefix || strings.HasPrefix(path, prefix+"/")
}

// invalidRedirect is a 400 naming the redirect parameter.
func invalidRedirect(why string) error {
	e := apierr.BadRequest("redirect: %s", why)
	e.Fields = map[string]string{"redirect": why}
	return e
}
