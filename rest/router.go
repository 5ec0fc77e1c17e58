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
)

// Deps are the services the routes call.
type Deps struct {
	Auth        *auth.Service
	Collections *collections.Service
	Records     *records.Service
	Ping        func(ctx context.Context) error
	Ready       func(ctx context.Context) error
	Version     string
}

// Register adds every REST route to mux, and a catch-all that answers
// unknown paths with a 404 in the error envelope.
func Register(mux *http.ServeMux, d Deps) {
	h := handlers{d}
	route := func(pattern string, fn func(w http.ResponseWriter, r *http.Request) error) {
		mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
			if err := fn(w, r); err != nil {
				httpx.WriteError(w, r, err)
			}
		})
	}
	route("GET /health", h.health)
	route("GET /ready", h.ready)
	route("GET /api/v1/setup/check", h.setupCheck)
	route("POST /api/v1/setup", h.setup)

	route("POST /api/v1/auth/register", h.register)
	route("POST /api/v1/auth/login", h.login)
	route("POST /api/v1/auth/refresh", h.refresh)
	route("POST /api/v1/auth/logout", h.logout)
	route("POST /api/v1/auth/logout-all", h.logoutAll)
	route("GET /api/v1/auth/me", h.me)
	route("PATCH /api/v1/auth/me", h.updateMe)
	route("DELETE /api/v1/auth/me", h.deleteMe)
	route("POST /api/v1/auth/change-password", h.changePassword)
	route("POST /api/v1/auth/request-password-reset", h.requestPasswordReset)
	route("POST /api/v1/auth/reset-password", h.resetPassword)
	route("POST /api/v1/auth/request-verification", h.requestVerification)
	route("POST /api/v1/auth/verify-email", h.verifyEmail)
	route("POST /api/v1/auth/request-email-change", h.requestEmailChange)
	route("POST /api/v1/auth/confirm-email-change", h.confirmEmailChange)
	route("GET /api/v1/auth/sessions", h.sessions)
	route("DELETE /api/v1/auth/sessions/{id}", h.revokeSession)

	route("GET /api/v1/admin/users", h.listUsers)
	route("POST /api/v1/admin/users", h.createUser)
	route("GET /api/v1/admin/users/{id}", h.getUser)
	route("PATCH /api/v1/admin/users/{id}", h.updateUser)
	route("DELETE /api/v1/admin/users/{id}", h.deleteUser)

	route("GET /api/v1/collections", h.listCollections)
	route("POST /api/v1/collections", h.createCollection)
	route("GET /api/v1/collections/{collection}", h.getCollection)
	route("PATCH /api/v1/collections/{collection}", h.updateCollection)
	route("DELETE /api/v1/collections/{collection}", h.deleteCollection)

	route("GET /api/v1/collections/{collection}/records", h.listRecords)
	route("POST /api/v1/collections/{collection}/records", h.createRecord)
	route("POST /api/v1/collections/{collection}/records/bulk-delete", h.bulkDelete)
	route("POST /api/v1/collections/{collection}/records/bulk-update", h.bulkUpdate)
	route("GET /api/v1/collections/{collection}/records/export/csv", h.exportCSV)
	route(importCSVRoute, h.importCSV)
	route("GET /api/v1/collections/{collection}/records/{id}", h.getRecord)
	route("PATCH /api/v1/collections/{collection}/records/{id}", h.updateRecord)
	route("DELETE /api/v1/collections/{collection}/records/{id}", h.deleteRecord)

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
