package rest

import "net/http"

// Access is who may call a route, as the contract's "Who" column says. The
// services enforce it; the table states it for the router's readers, the
// API reference page and the test that holds the table to the contract.
type Access string

// The access levels.
const (
	Anyone Access = "anyone"
	User   Access = "user"
	Admin  Access = "admin"
)

// Body is what a route reads from the request body, which decides its
// size limit.
type Body int

// The body kinds.
const (
	NoBody   Body = iota
	JSONBody      // a JSON document, up to MAX_BODY_BYTES
	FileBody      // a multipart upload, up to MAX_IMPORT_BYTES
)

// Route is one REST route. The router, the body limits and the API
// reference are all built from Routes, so a route is added in one place.
type Route struct {
	Method  string
	Path    string // a net/http pattern path, e.g. /api/v1/collections/{collection}
	Access  Access
	Body    Body
	Summary string
	handle  func(handlers, http.ResponseWriter, *http.Request) error
}

// Pattern is the route's net/http pattern.
func (r Route) Pattern() string { return r.Method + " " + r.Path }

// Routes lists every REST route, in the contract's order.
func Routes() []Route { return routes }

const (
	authPath     = "/api/v1/auth"
	usersPath    = "/api/v1/admin/users"
	collsPath    = "/api/v1/collections"
	recordsPath  = "/api/v1/collections/{collection}/records"
	settingsPath = "/api/v1/settings"
	oauthPath    = "/api/v1/oauth"
	hooksPath    = "/api/v1/webhooks"
	filesPath    = "/api/v1/files"
	backupsPath  = "/api/v1/backups"
)

var routes = []Route{
	{"GET", "/health", Anyone, NoBody, "Health of the server and its database", handlers.health},
	{"GET", "/ready", Anyone, NoBody, "Readiness: fails while the server drains", handlers.ready},
	{"GET", "/api/v1/setup/check", Anyone, NoBody, "Whether the first admin is still to be created", handlers.setupCheck},
	{"POST", "/api/v1/setup", Anyone, JSONBody, "Create the first admin (once)", handlers.setup},

	{"POST", authPath + "/register", Anyone, JSONBody, "Register a user", handlers.register},
	{"POST", authPath + "/login", Anyone, JSONBody, "Log in with email and password", handlers.login},
	{"POST", authPath + "/refresh", Anyone, JSONBody, "Rotate a refresh token", handlers.refresh},
	{"POST", authPath + "/logout", Anyone, JSONBody, "End the session of a refresh token", handlers.logout},
	{"POST", authPath + "/logout-all", User, NoBody, "End every session of the caller", handlers.logoutAll},
	{"GET", authPath + "/me", User, NoBody, "The caller's account", handlers.me},
	{"PATCH", authPath + "/me", User, JSONBody, "Change the caller's name or avatar", handlers.updateMe},
	{"DELETE", authPath + "/me", User, NoBody, "Delete the caller's account", handlers.deleteMe},
	{"POST", authPath + "/change-password", User, JSONBody, "Change the caller's password", handlers.changePassword},
	{"POST", authPath + "/request-password-reset", Anyone, JSONBody, "Mail a password reset link", handlers.requestPasswordReset},
	{"POST", authPath + "/reset-password", Anyone, JSONBody, "Set a new password with a mailed token", handlers.resetPassword},
	{"POST", authPath + "/request-verification", Anyone, JSONBody, "Mail a new verification link", handlers.requestVerification},
	{"POST", authPath + "/verify-email", Anyone, JSONBody, "Verify an email address with a mailed token", handlers.verifyEmail},
	{"POST", authPath + "/request-email-change", User, JSONBody, "Mail a confirmation link to a new address (needs the password)", handlers.requestEmailChange},
	{"POST", authPath + "/confirm-email-change", Anyone, JSONBody, "Switch to the new address with the mailed token", handlers.confirmEmailChange},
	{"GET", authPath + "/sessions", User, NoBody, "The caller's sessions", handlers.sessions},
	{"DELETE", authPath + "/sessions/{id}", User, NoBody, "End one of the caller's sessions", handlers.revokeSession},
	{"GET", authPath + "/oauth", User, NoBody, "The caller's linked OAuth providers", handlers.oauthLinks},
	{"DELETE", authPath + "/oauth/{provider}", User, NoBody, "Unlink a provider (never the last way to sign in)", handlers.oauthUnlink},

	{"GET", usersPath, Admin, NoBody, "List users", handlers.listUsers},
	{"POST", usersPath, Admin, JSONBody, "Create a user", handlers.createUser},
	{"GET", usersPath + "/{id}", Admin, NoBody, "Get a user", handlers.getUser},
	{"PATCH", usersPath + "/{id}", Admin, JSONBody, "Change a user", handlers.updateUser},
	{"DELETE", usersPath + "/{id}", Admin, NoBody, "Delete a user", handlers.deleteUser},

	{"GET", collsPath, User, NoBody, "List collections", handlers.listCollections},
	{"POST", collsPath, Admin, JSONBody, "Create a collection and its table", handlers.createCollection},
	{"GET", collsPath + "/{collection}", User, NoBody, "Get a collection", handlers.getCollection},
	{"PATCH", collsPath + "/{collection}", Admin, JSONBody, "Change a collection and its table", handlers.updateCollection},
	{"DELETE", collsPath + "/{collection}", Admin, NoBody, "Delete a collection and its table", handlers.deleteCollection},

	{"GET", recordsPath, Anyone, NoBody, "List, filter, sort, search and expand records (list rule)", handlers.listRecords},
	{"POST", recordsPath, Anyone, JSONBody, "Create a record (create rule)", handlers.createRecord},
	{"POST", recordsPath + "/bulk-delete", Anyone, JSONBody, "Delete up to 100 records (delete rule)", handlers.bulkDelete},
	{"POST", recordsPath + "/bulk-update", Anyone, JSONBody, "Change up to 100 records (update rule)", handlers.bulkUpdate},
	{"GET", recordsPath + "/export/csv", Anyone, NoBody, "Stream the records as CSV (list rule)", handlers.exportCSV},
	{"POST", recordsPath + "/import/csv", Anyone, FileBody, "Import CSV rows, all or none (create rule)", handlers.importCSV},
	{"GET", recordsPath + "/{id}", Anyone, NoBody, "Get a record (view rule)", handlers.getRecord},
	{"PATCH", recordsPath + "/{id}", Anyone, JSONBody, "Change a record (update rule)", handlers.updateRecord},
	{"DELETE", recordsPath + "/{id}", Anyone, NoBody, "Delete a record (delete rule)", handlers.deleteRecord},

	{"POST", filesPath, User, FileBody, "Upload a file (multipart part \"file\"), streamed to storage", handlers.uploadFile},
	{"GET", filesPath, User, NoBody, "List the caller's files (an admin's: all), by collection_name and record_id", handlers.listFiles},
	{"GET", filesPath + "/{id}", User, NoBody, "Get a file's metadata", handlers.getFile},
	{"GET", filesPath + "/{id}/download", User, NoBody, "Stream a file's bytes (ETag, If-None-Match, Range)", handlers.downloadFile},
	{"DELETE", filesPath + "/{id}", User, NoBody, "Delete a file (owner or admin)", handlers.deleteFile},

	{"GET", settingsPath, Admin, NoBody, "Every setting, grouped by category (secrets without values)", handlers.listSettings},
	{"GET", settingsPath + "/{category}", Admin, NoBody, "The settings of one category", handlers.categorySettings},
	{"POST", settingsPath, Admin, JSONBody, "Create or change a setting; applies on every instance", handlers.setSetting},
	{"DELETE", settingsPath + "/{key}", Admin, NoBody, "Remove a stored setting (a known key returns to its default)", handlers.deleteSetting},

	{"GET", oauthPath + "/{provider}/login", Anyone, NoBody, "Redirect to the provider with a signed state and PKCE", handlers.oauthLogin},
	{"GET", oauthPath + "/{provider}/callback", Anyone, NoBody, "Finish a social sign-in: tokens and the user", handlers.oauthCallback},

	{"POST", hooksPath, Admin, JSONBody, "Register a webhook (the answer shows its secret, once)", handlers.createWebhook},
	{"GET", hooksPath, Admin, NoBody, "List webhooks", handlers.listWebhooks},
	{"GET", hooksPath + "/{id}", Admin, NoBody, "Get a webhook", handlers.getWebhook},
	{"PATCH", hooksPath + "/{id}", Admin, JSONBody, "Change or re-enable a webhook", handlers.updateWebhook},
	{"DELETE", hooksPath + "/{id}", Admin, NoBody, "Delete a webhook and its delivery log", handlers.deleteWebhook},
	{"GET", hooksPath + "/{id}/deliveries", Admin, NoBody, "A webhook's delivery log, newest first", handlers.listDeliveries},
	{"POST", hooksPath + "/{id}/deliveries/{delivery}/redeliver", Admin, NoBody, "Send a delivery again", handlers.redeliver},

	{"POST", backupsPath, Admin, NoBody, "Start a backup (written in the background)", handlers.createBackup},
	{"GET", backupsPath, Admin, NoBody, "List backups with their status", handlers.listBackups},
	{"GET", backupsPath + "/{id}", Admin, NoBody, "A backup with its status and progress", handlers.getBackup},
	{"POST", backupsPath + "/{id}/restore", Admin, NoBody, "Restore a backup while the server runs (all or nothing)", handlers.restoreBackup},
	{"DELETE", backupsPath + "/{id}", Admin, NoBody, "Delete a backup and its archive", handlers.deleteBackup},
	{"GET", backupsPath + "/{id}/download", Admin, NoBody, "Stream a backup's archive", handlers.downloadBackup},
	{"POST", backupsPath + "/upload", Admin, FileBody, "Upload an archive (the raw body, up to MAX_IMPORT_BYTES) to restore it here", handlers.uploadBackup},
}
