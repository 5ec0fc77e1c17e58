// Package rest serves the FastCMS REST routes (spec/rest-api.md) under
// /api/v1. Handlers are thin: they decode, call a service, and encode.
package rest

import (
	"context"
	"net/http"

	"fastcms/internal/apierr"
	"fastcms/internal/auth"
	"fastcms/internal/collections"
	"fastcms/internal/httpx"
	"fastcms/internal/records"
	"fastcms/internal/webhooks"
)

// Deps are the services the routes call.
type Deps struct {
	Auth        *auth.Service
	Collections *collections.Service
	Records     *records.Service
	Webhooks    *webhooks.Service
	Ping        func(ctx context.Context) error
	Ready       func(ctx context.Context) error
	Version     string
}

// Register adds every route of Routes to mux, and a catch-all that
// answers unknown paths with a 404 in the error envelope.
func Register(mux *http.ServeMux, d Deps) {
	h := handlers{d}
	route := func(pattern string, fn func(w http.ResponseWriter, r *http.Request) error) {
		mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
			if err := fn(w, r); err != nil {
				httpx.WriteError(w, r, err)
			}
		})
	}
	for _, rt := range routes {
		handle := rt.handle
		route(rt.Pattern(), func(w http.ResponseWriter, r *http.Request) error { return handle(h, w, r) })
	}
	route("/", func(w http.ResponseWriter, r *http.Request) error {
		return apierr.NotFound("no route for %s %s", r.Method, r.URL.Path)
	})
}

type handlers struct{ Deps }

func noContent(w http.ResponseWriter) error {
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func client(r *http.Request) auth.Client {
	return auth.Client{UserAgent: r.UserAgent(), IP: httpx.ClientIP(r)}
}
