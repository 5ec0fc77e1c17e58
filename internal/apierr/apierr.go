// Package apierr is the one error type that services return and both adapters
// (REST and GraphQL) render, so a failure reads the same through either API.
package apierr

import (
	"errors"
	"fmt"
	"net/http"
)

// Error is a failure the client caused or may act on. Status is the HTTP status
// the REST adapter answers with; Code is the short lower-case phrase of the
// envelope's "error" member; Fields names the offending input fields.
type Error struct {
	Status  int
	Code    string
	Message string
	Fields  map[string]string
	Details map[string]any
}

func (e *Error) Error() string { return e.Message }

// New builds an Error with a message formatted like fmt.Sprintf.
func New(status int, code, format string, args ...any) *Error {
	return &Error{Status: status, Code: code, Message: fmt.Sprintf(format, args...)}
}

// BadRequest is malformed input (400).
func BadRequest(format string, args ...any) *Error {
	return New(http.StatusBadRequest, "bad request", format, args...)
}

// Unauthorized means the caller is not authenticated (401).
func Unauthorized(format string, args ...any) *Error {
	return New(http.StatusUnauthorized, "unauthorized", format, args...)
}

// Forbidden means the caller is authenticated but not allowed (403).
func Forbidden(format string, args ...any) *Error {
	return New(http.StatusForbidden, "forbidden", format, args...)
}

// NotFound is a missing resource, or one the caller may not know exists (404).
func NotFound(format string, args ...any) *Error {
	return New(http.StatusNotFound, "not found", format, args...)
}

// Conflict is a uniqueness or state conflict (409).
func Conflict(format string, args ...any) *Error {
	return New(http.StatusConflict, "conflict", format, args...)
}

// Invalid is a validation failure on named fields (422).
func Invalid(fields map[string]string) *Error {
	msg := "validation failed"
	if len(fields) == 1 {
		for f, why := range fields {
			msg = fmt.Sprintf("%s: %s", f, why)
		}
	}
	return &Error{Status: http.StatusUnprocessableEntity, Code: "validation failed", Message: msg, Fields: fields}
}

// InvalidField is Invalid for a single field.
func InvalidField(field, why string) *Error {
	return Invalid(map[string]string{field: why})
}

// As returns the *Error inside err, if any.
func As(err error) (*Error, bool) {
	var e *Error
	if errors.As(err, &e) {
		return e, true
	}
	return nil, false
}

// Cancelled reports whether err is a statement PostgreSQL cancelled
// (SQLSTATE 57014): STATEMENT_TIMEOUT ran out, or the request's deadline.
// The adapters answer it as TooSlow rather than as an internal error.
func Cancelled(err error) bool {
	var db interface{ SQLState() string }
	return errors.As(err, &db) && db.SQLState() == "57014"
}

// TooSlow answers work that ran out of the time the server allows (503):
// asking for less (a narrower filter, fewer records or expansions) helps.
func TooSlow() *Error {
	return New(http.StatusServiceUnavailable, "timeout",
		"the query took longer than the server allows; ask for less (a narrower filter, fewer records or expansions)")
}

// TooManyRequests refuses a caller who went past a rate limit (429);
// retryAfter, in whole seconds, is when the next attempt may succeed. The
// REST adapter also sends it as the Retry-After header.
func TooManyRequests(retryAfter int) *Error {
	e := New(http.StatusTooManyRequests, "too many requests", "too many attempts; try again in %d seconds", retryAfter)
	e.Details = map[string]any{"retry_after": retryAfter}
	return e
}

// RetryAfter returns the seconds a TooManyRequests error asks the caller to wait.
func RetryAfter(err error) (int, bool) {
	e, ok := As(err)
	if !ok || e.Status != http.StatusTooManyRequests {
		return 0, false
	}
	secs, ok := e.Details["retry_after"].(int)
	return secs, ok
}

// IsNotFound reports whether err is a NotFound: services ask this rather
// than compare HTTP statuses.
func IsNotFound(err error) bool { return hasStatus(err, http.StatusNotFound) }

// IsForbidden reports whether err is a Forbidden.
func IsForbidden(err error) bool { return hasStatus(err, http.StatusForbidden) }

// IsDenied reports whether err refuses the caller: Unauthorized or Forbidden.
func IsDenied(err error) bool {
	return hasStatus(err, http.StatusUnauthorized) || hasStatus(err, http.StatusForbidden)
}

func hasStatus(err error, status int) bool {
	e, ok := As(err)
	return ok && e.Status == status
}
