package rest

import "strings"

// What the API reference page (internal/reference) needs of each route
// beyond the table: the section it is listed under and, for a JSON body,
// an example. They are kept beside the table rather than in it so a new
// route is one line there plus, when it reads JSON, one line here;
// TestRoutesHaveReference fails until both are written.

// Sections are the reference page's sections, in its order: the seed
// page's, after the server's own routes.
var Sections = []string{"Server", "Login & Register", "User Management", "Dynamic Data", "File Storage",
	"Event Callbacks", "Data Protection", "Social Login", "Configuration"}

// sectionOf maps a path prefix to its section; the longest prefix wins.
var sectionOf = map[string]string{
	"/health": "Server", "/ready": "Server", "/api/v1/setup": "Server",
	authPath: "Login & Register", authPath + "/me": "User Management", authPath + "/change-password": "User Management",
	authPath + "/request-email-change": "User Management", authPath + "/confirm-email-change": "User Management",
	authPath + "/sessions": "User Management", usersPath: "User Management", authPath + "/oauth": "Social Login",
	collsPath: "Dynamic Data", filesPath: "File Storage", hooksPath: "Event Callbacks", backupsPath: "Data Protection",
	oauthPath: "Social Login", settingsPath: "Configuration",
}

// examples are the example JSON bodies, by route pattern.
var examples = map[string]string{
	"POST /api/v1/setup":                           `{"email": "admin@example.com", "password": "secret123", "password_confirm": "secret123", "name": "Admin"}`,
	"POST " + authPath + "/register":               `{"email": "ada@example.com", "password": "secret123", "password_confirm": "secret123", "name": "Ada"}`,
	"POST " + authPath + "/login":                  `{"email": "ada@example.com", "password": "secret123"}`,
	"POST " + authPath + "/refresh":                `{"refresh_token": "YOUR_REFRESH_TOKEN"}`,
	"POST " + authPath + "/logout":                 `{"refresh_token": "YOUR_REFRESH_TOKEN"}`,
	"PATCH " + authPath + "/me":                    `{"name": "Ada Lovelace", "avatar": "https://example.com/ada.png"}`,
	"POST " + authPath + "/change-password":        `{"old_password": "secret123", "new_password": "secret456", "new_password_confirm": "secret456"}`,
	"POST " + authPath + "/request-password-reset": `{"email": "ada@example.com"}`,
	"POST " + authPath + "/reset-password":         `{"token": "MAILED_TOKEN", "password": "secret456", "password_confirm": "secret456"}`,
	"POST " + authPath + "/request-verification":   `{"email": "ada@example.com"}`,
	"POST " + authPath + "/verify-email":           `{"token": "MAILED_TOKEN"}`,
	"POST " + authPath + "/request-email-change":   `{"new_email": "ada@new.example.com", "password": "secret123"}`,
	"POST " + authPath + "/confirm-email-change":   `{"token": "MAILED_TOKEN"}`,
	"POST " + usersPath:                            `{"email": "grace@example.com", "password": "secret123", "name": "Grace", "role": "user"}`,
	"PATCH " + usersPath + "/{id}":                 `{"name": "Grace Hopper", "role": "admin", "verified": true}`,
	"POST " + collsPath: `{"name": "posts", "type": "base", "schema": [{"name": "title", "type": "text", "validation": {"required": true}}, ` +
		`{"name": "status", "type": "select", "select": {"values": ["draft", "published"]}}], ` +
		`"list_rule": "status = 'published'", "view_rule": "", "create_rule": "@request.auth.id != ''", "update_rule": null, "delete_rule": null}`,
	"PATCH " + collsPath + "/{collection}": `{"list_rule": ""}`,
	"POST " + recordsPath:                  `{"data": {"title": "Hello", "status": "draft"}}`,
	"POST " + recordsPath + "/bulk-delete": `{"record_ids": ["id1", "id2", "id3"]}`,
	"POST " + recordsPath + "/bulk-update": `{"record_ids": ["id1", "id2"], "data": {"status": "published"}}`,
	"PATCH " + recordsPath + "/{id}":       `{"data": {"status": "published"}}`,
	"POST " + settingsPath:                 `{"key": "maintenance_mode", "value": false, "category": "app", "description": "Enable maintenance mode"}`,
	"POST " + hooksPath: `{"url": "https://your-server.com/webhook", "collection_name": "posts", "events": ["create", "update", "delete"], ` +
		`"secret": "your-webhook-secret", "retry_count": 3}`,
	"PATCH " + hooksPath + "/{id}": `{"enabled": true}`,
}

// Section is the reference page's section of the route.
func (r Route) Section() string {
	best := ""
	for prefix := range sectionOf {
		if len(prefix) > len(best) && (r.Path == prefix || strings.HasPrefix(r.Path, prefix+"/")) {
			best = prefix
		}
	}
	return sectionOf[best]
}

// Example is an example JSON body of the route, "" for none.
func (r Route) Example() string { return examples[r.Pattern()] }
