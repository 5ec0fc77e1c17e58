package httpx

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"time"

	"fastcms/internal/apierr"
)

type ctxKey int

const requestIDKey ctxKey = iota

// RequestID is the id of the request ctx belongs to, or "".
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey).(string)
	return id
}

// WithRequestID tags every request with an id (the client's X-Request-ID if
// it is sane, else a new one), echoes it in the response, and puts it in ctx
// for logs and 500 bodies.
func WithRequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Request-ID")
		if !saneID(id) {
			b := make([]byte, 12)
			rand.Read(b) //nolint:errcheck // crypto/rand never fails on supported platforms
			id = hex.EncodeToString(b)
		}
		w.Header().Set("X-Request-ID", id)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), requestIDKey, id)))
	})
}

func saneID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, c := range id {
		if !(c == '-' || c == '_' || c == '.' || '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z') {
			return false
		}
	}
	return true
}

// statusWriter records the status and size of a response. It keeps the
// Hijacker and Flusher of the writer it wraps, which websockets and
// streaming need.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int
}

func (w *statusWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += n
	return n, err
}

func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (w *statusWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	h, ok := w.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, errors.New("hijacking is not supported")
	}
	w.status = http.StatusSwitchingProtocols
	return h.Hijack()
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// WithLogging logs one structured line per request, and turns a panic into
// a 500 in the error envelope.
func WithLogging(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				log.ErrorContext(r.Context(), "panic", "panic", v, "stack", string(debug.Stack()), "request_id", RequestID(r.Context()))
				if sw.status == 0 {
					WriteError(sw, r, errors.New("panic"))
				}
			}
			log.LogAttrs(r.Context(), slog.LevelInfo, "request",
				slog.String("method", r.Method), slog.String("path", r.URL.Path),
				slog.Int("status", sw.status), slog.Int("bytes", sw.bytes),
				slog.Duration("duration", time.Since(start)), slog.String("request_id", RequestID(r.Context())))
		}()
		next.ServeHTTP(sw, r)
	})
}

// WithBodyLimit caps every request body at limit bytes; reading past it
// fails, and DecodeJSON turns that into a 413. A declared Content-Length
// over the limit is refused before the handler runs.
func WithBodyLimit(limit int64, next http.Handler) http.Handler {
	return WithBodyLimitFunc(func(*http.Request) int64 { return limit }, next)
}

// WithBodyLimitFunc is WithBodyLimit with the limit chosen per request, for
// the few routes (CSV import) whose bodies are files rather than JSON.
func WithBodyLimitFunc(limitOf func(*http.Request) int64, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		limit := limitOf(r)
		if r.ContentLength > limit {
			WriteError(w, r, apierr.New(http.StatusRequestEntityTooLarge, "request too large", "request body is larger than %d bytes", limit))
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, limit)
		next.ServeHTTP(w, r)
	})
}

// CORS answers cross-origin requests from the configured origins. "*"
// lets any page read responses, but never with the caller's credentials:
// only listed origins get Access-Control-Allow-Credentials. Origins is read
// at every request (the live settings' cors_origins).
type CORS struct {
	Origins func() []string
}

// corsHeaders are the request headers a preflight allows for origins that
// are not listed (and for listed ones that ask for none in particular).
const corsHeaders = "Authorization, Content-Type, X-Request-ID, X-Requested-With, Apollo-Require-Preflight"

// Allowed reports whether a browser page at origin may call the API.
func (c CORS) Allowed(origin string) bool {
	return c.anyOrigin() || c.Listed(origin)
}

// Listed reports whether origin is named in the configuration, which
// trusts it with the caller's credentials.
func (c CORS) Listed(origin string) bool {
	return origin != "*" && slices.Contains(c.Origins(), origin)
}

func (c CORS) anyOrigin() bool { return slices.Contains(c.Origins(), "*") }

// AllowedUpgrade reports whether a websocket may open from r's Origin.
// Websockets are outside CORS and the browser sends the access_token cookie
// with them, so an origin allowed only by "*" may open one without that
// cookie, authenticating in connection_init instead.
func (c CORS) AllowedUpgrade(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if c.Listed(origin) {
		return true
	}
	_, err := r.Cookie("access_token")
	return c.anyOrigin() && err != nil
}

// Wrap adds the CORS headers and answers preflight requests.
func (c CORS) Wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		if origin == "" || !c.Allowed(origin) {
			next.ServeHTTP(w, r)
			return
		}
		listed := c.Listed(origin)
		h := w.Header()
		h.Add("Vary", "Origin")
		if listed {
			h.Set("Access-Control-Allow-Origin", origin)
			h.Set("Access-Control-Allow-Credentials", "true")
		} else {
			h.Set("Access-Control-Allow-Origin", "*")
		}
		h.Set("Access-Control-Expose-Headers", "X-Request-ID, Retry-After, Content-Disposition, ETag, X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset")
		if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
			h.Set("Access-Control-Allow-Methods", "GET, POST, PUT, PATCH, DELETE, OPTIONS")
			allow := corsHeaders
			if asked := r.Header.Get("Access-Control-Request-Headers"); listed && asked != "" {
				allow = asked
			}
			h.Set("Access-Control-Allow-Headers", allow)
			h.Set("Access-Control-Max-Age", strconv.Itoa(int((10 * time.Minute).Seconds())))
			w.WriteHeader(http.StatusNoContent)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// ClientIP is the peer address of r, without the port.
func ClientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return strings.TrimSpace(r.RemoteAddr)
	}
	return host
}
