package collections

import (
	"regexp"
	"strings"
)

var nameRE = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9_]{0,62}$`)

// reservedCollections are names a collection may not take: the system
// tables, GraphQL's own names and the static schema's types, and words that
// would read ambiguously in URLs.
var reservedCollections = map[string]bool{
	"users": true, "sessions": true, "refresh_tokens": true, "user_tokens": true, "collections": true,
	"files": true, "webhooks": true, "webhook_deliveries": true, "deliveries": true, "events": true,
	"backups": true, "settings": true, "schema_migrations": true,
	"query": true, "mutation": true, "subscription": true, "string": true, "int": true, "float": true,
	"boolean": true, "id": true, "user": true, "token": true, "auth_response": true, "session": true,
	"user_page": true, "timestamptz": true, "date": true, "jsonb": true, "upload": true,
	"collection": true, "record": true, "records": true, "admin": true, "setup": true, "me": true,
}

// reservedFields are system columns and words the expression language owns.
var reservedFields = map[string]bool{
	"id": true, "created": true, "updated": true, "expand": true, "collection": true, "collection_id": true,
	"true": true, "false": true, "null": true, "search": true, "_rank": true,
}

// nameProblem says what is wrong with a collection name, or "".
func nameProblem(name string) string {
	switch {
	case !nameRE.MatchString(name):
		return "must start with a letter and hold only letters, digits and underscores (at most 63)"
	case strings.HasPrefix(name, "_") || strings.Contains(name, "__"):
		return "must not contain a double underscore"
	case reservedCollections[strings.ToLower(name)]:
		return "is reserved"
	case strings.Contains(strings.ToLower(name), "_via_"):
		return `must not contain "_via_" (used for back-relations)`
	}
	return ""
}

// fieldNameProblem says what is wrong with a field name, or "".
func fieldNameProblem(name string) string {
	switch {
	case !nameRE.MatchString(name):
		return "must start with a letter and hold only letters, digits and underscores (at most 63)"
	case reservedFields[strings.ToLower(name)]:
		return "is reserved"
	case strings.Contains(name, "__"):
		return "must not contain a double underscore"
	}
	return ""
}

// Quote double-quotes an SQL identifier.
func Quote(ident string) string {
	return `"` + strings.ReplaceAll(ident, `"`, `""`) + `"`
}
