package httpx

import (
	"net/http"

	"fastcms/internal/auth"
)

// WithAuth authenticates the request from "Authorization: Bearer …" or, for
// browser pages, the access_token cookie, and records the outcome in the
// context. It never rejects: operations that need a user say so themselves.
func WithAuth(svc *auth.Service, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token := auth.BearerToken(r.Header.Get("Authorization"))
		if token == "" {
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
