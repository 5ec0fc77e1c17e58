package httpx

import (
	"net/http"

	"fastcms/internal/auth"
)

// WithAuth authenticates the request from "Authorization: Bearer …" or, for
// browser pages, the access_token cookie, and records the outcome in the
// context. It never rejects: operations that need a user say so themselves.
//
// A browser adds the cookie to requests other sites make, so the cookie
// counts only where such a request cannot act for the user (CookieAllowed).
func WithAuth(svc *auth.Service, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token := auth.BearerToken(r.Header.Get("Authorization"))
		if token == "" && CookieAllowed(r) {
			if c, err := r.Cookie("access_token"); err == nil {
				token = c.Value
			}
		}
		if token == "" {
			next.ServeHTTP(w, r)
			return
		}
		p, err := svc.Authenticate(r.Context(), token)
		next.ServeHTTP(w, r.WithContext(auth.NewContext(r.Context(), p, err)))
	})
}

// CSRFHeaders are the request headers that make the access_token cookie
// count on an unsafe method. A cross-site form cannot send them, and a
// cross-site script can only after a CORS preflight that the server answers
// for its listed origins alone.
var CSRFHeaders = []string{"X-Requested-With", "Apollo-Require-Preflight"}

// CookieAllowed reports whether the access_token cookie may authenticate r:
// safe methods (GET, HEAD, OPTIONS; websocket upgrades are GETs whose
// Origin is checked), or any method with one of CSRFHeaders.
func CookieAllowed(r *http.Request) bool {
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return true
	}
	for _, h := range CSRFHeaders {
		if r.Header.Get(h) != "" {
			return true
		}
	}
	return false
}
