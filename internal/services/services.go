// Package services is the set of services the adapters (REST routes,
// GraphQL resolvers and the run-time GraphQL schema) call. internal/app
// builds it once and hands it whole to each adapter, so a new service is
// added here and in its own adapter files, not threaded through each
// adapter's options.
package services

import (
	"fastcms/internal/auth"
	"fastcms/internal/backups"
	"fastcms/internal/collections"
	"fastcms/internal/events"
	"fastcms/internal/files"
	"fastcms/internal/oauth"
	"fastcms/internal/records"
	"fastcms/internal/settings"
	"fastcms/internal/webhooks"
)

// Set is every service of one instance.
type Set struct {
	Auth        *auth.Service
	Collections *collections.Service
	Records     *records.Service
	// Events follows the record event log for subscriptions.
	Events *events.Broker
	// Settings is the live configuration every instance follows.
	Settings *settings.Service
	// Webhooks delivers record events to registered URLs.
	Webhooks *webhooks.Service
	// OAuth is social login; its accounts and sessions are Auth's.
	OAuth *oauth.Service
	// Files keeps uploads: metadata in the database, bytes in storage.
	Files *files.Service
	// Backups snapshots the database into storage and restores it.
	Backups *backups.Service
}
