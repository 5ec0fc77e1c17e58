// Package httpx is the HTTP plumbing both adapters share: the error
// envelope, strict JSON decoding, and the middleware every request passes.
package httpx

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strings"

	"fastcms/internal/apierr"
)

// Envelope is the one error body of the REST API.
type Envelope struct {
	Error   string         `json:"error"`
	Message string         `json:"message"`
	Details map[string]any `json:"details"`
}

// WriteJSON writes v as the JSON body with status.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	if err := json.NewEncoder(w).Encode(v); err != nil {
		slog.Debug("writing a response", "err", err)
	}
}

// WriteError renders err in the envelope. An *apierr.Error keeps its status
// and message, a cancelled statement is apierr.TooSlow (503); anything else
// is a 500 that leaks nothing but the request id.
func WriteError(w http.ResponseWriter, r *http.Request, err error) {
	e, ok := apierr.As(err)
	if !ok && apierr.Cancelled(err) {
		e, ok = apierr.TooSlow(), true
	}
	if !ok {
		id := RequestID(r.Context())
		slog.ErrorContext(r.Context(), "internal error", "err", err, "request_id", id)
		e = &apierr.Error{Status: http.StatusInternalServerError, Code: "internal error",
			Message: "An internal error occurred.", Details: map[string]any{"request_id": id}}
	}
	details := map[string]any{}
	for k, v := range e.Details {
		details[k] = v
	}
	if len(e.Fields) > 0 {
		details["fields"] = e.Fields
	}
	WriteJSON(w, e.Status, Envelope{Error: e.Code, Message: e.Message, Details: details})
}

// DecodeJSON reads the request body into dst strictly: JSON content type
// (415), within the size limit (413), well-formed (400 with the offset), no
// unknown fields (400 naming it), values of the right type (422 naming the
// field), and nothing after the value.
func DecodeJSON(r *http.Request, dst any) error {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		return apierr.New(http.StatusUnsupportedMediaType, "unsupported media type", "Content-Type must be application/json")
	}
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return decodeError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		if err != nil {
			return decodeError(err)
		}
		return apierr.BadRequest("request body must hold a single JSON value")
	}
	return nil
}

func decodeError(err error) error {
	var syntax *json.SyntaxError
	var typeErr *json.UnmarshalTypeError
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		return apierr.New(http.StatusRequestEntityTooLarge, "request too large", "request body is larger than %d bytes", tooLarge.Limit)
	case errors.As(err, &syntax):
		return apierr.BadRequest("malformed JSON at byte %d", syntax.Offset)
	case errors.Is(err, io.EOF):
		return apierr.BadRequest("request body is empty")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return apierr.BadRequest("malformed JSON: unexpected end of input")
	case errors.As(err, &typeErr):
		field := typeErr.Field
		if field == "" {
			return apierr.BadRequest("request body must be a JSON %s", jsonKind(typeErr.Type.Kind().String()))
		}
		return apierr.InvalidField(field, fmt.Sprintf("must be a %s", jsonKind(typeErr.Type.Kind().String())))
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		e := apierr.BadRequest("unknown field %q", name)
		e.Fields = map[string]string{name: "is not a known field"}
		return e
	}
	return apierr.BadRequest("malformed JSON: %v", err)
}

// jsonKind names a Go kind the way a JSON client thinks of it.
func jsonKind(kind string) string {
	switch kind {
	case "string":
		return "string"
	case "bool":
		return "boolean"
	case "map", "struct":
		return "object"
	case "slice", "array":
		return "array"
	}
	if strings.HasPrefix(kind, "int") || strings.HasPrefix(kind, "uint") || strings.HasPrefix(kind, "float") {
		return "number"
	}
	return kind
}
