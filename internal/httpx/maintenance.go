package httpx

import (
	"net/http"
	"strings"

	"fastcms/internal/apierr"
	"fastcms/internal/auth"
)

// Maintenance is the 503 a write of a non-admin gets in maintenance mode.
func Maintenance() *apierr.Error {
	return apierr.New(http.StatusServiceUnavailable, "service unavailable",
		"the server is in maintenance mode: writes are paused, reads still work")
}

// WithMaintenance refuses REST writes (any method but GET, HEAD and
// OPTIONS under /api/) of non-admins while on reports maintenance mode.
// Sign-in and account routes (/api/v1/auth/, /api/v1/setup) keep working,
// and /graphql decides per operation (graph.Options.Maintenance). It must
// run inside WithAuth; on is read per request, from the settings snapshot.
func WithMaintenance(on func() bool, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method == http.MethodGet, r.Method == http.MethodHead, r.Method == http.MethodOptions,
			!strings.HasPrefix(r.URL.Path, "/api/"),
			strings.HasPrefix(r.URL.Path, "/api/v1/auth/"), r.URL.Path == "/api/v1/setup",
			!on(), auth.FromContext(r.Context()).IsAdmin():
			next.ServeHTTP(w, r)
			return
		}
		WriteError(w, r, Maintenance())
	})
}
