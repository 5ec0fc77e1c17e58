// Package graph is the GraphQL machinery: the executor gqlgen generates from
// schema.graphqls (generated.go), its transports, limits and error shape.
package graph

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"fastcms/internal/apierr"
	"fastcms/internal/auth"
	"fastcms/internal/httpx"
	"fastcms/internal/records"
	"fastcms/internal/services"
)

// Options configures the GraphQL server.
type Options struct {
	Resolvers ResolverRoot
	// Services are the instance's services: Auth authenticates sockets and
	// operations, Collections, Records and Events serve the run-time
	// collection schema (without Collections the server has the static
	// schema only).
	*services.Set
	// CheckOrigin accepts or refuses a websocket's Origin header.
	CheckOrigin func(r *http.Request) bool
	// Shutdown closes every open websocket when it is done.
	Shutdown context.Context
	// Limits are read at every operation (the live settings).
	Limits func() Limits
	// MaxTokens is the parser's token limit (DefaultMaxTokens when 0).
	MaxTokens int
	// MaxSubscriptionsPerSocket caps the subscriptions (X_mutated and live
	// queries) open on one websocket, and MaxSocketsPerClient the
	// websockets open per user, or per client address for anonymous ones;
	// 0 is no cap.
	MaxSubscriptionsPerSocket int
	MaxSocketsPerClient       int
	// WriteTimeout bounds one websocket write (defaultWriteTimeout when 0):
	// see gorillaConn.WriteJSON.
	WriteTimeout time.Duration
	// MaxUploadBytes bounds a multipart request (upload_file), as
	// MAX_IMPORT_BYTES bounds the REST upload; 0 is gqlgen's 32 MiB.
	MaxUploadBytes int64
	Log            *slog.Logger
	// Maintenance reports maintenance mode (the settings snapshot), in
	// which mutations of non-admins are refused; nil is never.
	Maintenance func() bool
	// RateLimit spends one request of the caller's budget for an operation
	// on a websocket (HTTP requests are counted by the router); nil is none.
	RateLimit func(context.Context) error
	// OnRestore registers a func to run when any instance has restored a
	// backup: the server then closes every websocket with wsRestored, since
	// what their subscriptions and live queries watched was replaced.
	OnRestore func(func())

	sessions *wsSessions
}

// Limits bound what one operation may ask for, and whether it may read the
// schema (__schema, __type).
type Limits struct {
	MaxDepth      int
	MaxComplexity int
	Introspection bool
}

// NewServer builds the /graphql handler: POST, GET and websockets (both
// subprotocols), with depth and complexity limits and the error codes of
// spec/graphql-api.md in each error's extensions.
func NewServer(o Options) http.Handler {
	if o.Set == nil {
		o.Set = &services.Set{} // the static schema alone
	}
	o.sessions = newWSSessions(o.Auth, o.MaxSocketsPerClient, o.MaxSubscriptionsPerSocket)
	if o.OnRestore != nil {
		o.OnRestore(func() { o.sessions.closeAll(wsRestored, msgRestored) })
	}
	if o.Collections == nil {
		return websocketUpgrade(o.CheckOrigin, checkRequest(overHTTP(newHandler(NewExecutableSchema(Config{Resolvers: o.Resolvers}), o))))
	}
	s := &dynamicServer{o: o}
	s.follow()
	return websocketUpgrade(o.CheckOrigin, checkRequest(overHTTP(s)))
}

// newHandler is one complete gqlgen server over es, with its own query
// cache and extension instances (one per schema generation).
func newHandler(es graphql.ExecutableSchema, o Options) *handler.Server {
	srv := handler.New(es)
	srv.AddTransport(transport.Websocket{
		Implementation:        newGorillaWebsocket(o.CheckOrigin, o.WriteTimeout),
		InitFunc:              wsInit(o.Auth, o.sessions, o.Shutdown, o.Log),
		InitTimeout:           10 * time.Second,
		KeepAlivePingInterval: 15 * time.Second,
	})
	srv.AddTransport(transport.Options{})
	srv.AddTransport(transport.GET{})
	srv.AddTransport(transport.POST{})
	// GraphQL multipart requests (file uploads); the body limit of the
	// router still applies. Parts past MaxMemory wait in temporary files.
	srv.AddTransport(transport.MultipartForm{MaxMemory: 8 << 20, MaxUploadSize: o.MaxUploadBytes})
	srv.SetQueryCache(lru.New[*ast.QueryDocument](1000))
	// Parsing and validation run before every other limit and before
	// authentication: bound both (limits.go).
	tokens := o.MaxTokens
	if tokens <= 0 {
		tokens = DefaultMaxTokens
	}
	srv.SetParserTokenLimit(tokens)
	srv.SetValidationRulesFn(validationRules)
	srv.Use(schemaAccess{on: func() bool { return o.Limits().Introspection }})
	// Automatic persisted queries: clients may send a query's hash alone once
	// the server has seen it (Apollo's protocol).
	srv.Use(extension.AutomaticPersistedQuery{Cache: lru.New[string](1000)})
	srv.Use(depthLimit{max: func() int { return o.Limits().MaxDepth }})
	srv.Use(&extension.ComplexityLimit{Func: func(context.Context, *graphql.OperationContext) int { return o.Limits().MaxComplexity }})
	srv.AroundOperations(reauthenticate(o.Auth))
	srv.AroundOperations(rateLimit(o.RateLimit))
	srv.AroundOperations(maintenance(o.Maintenance))
	srv.SetErrorPresenter(presentError(o.Log))
	srv.SetRecoverFunc(func(ctx context.Context, v any) error {
		o.Log.ErrorContext(ctx, "panic in a resolver", "panic", v)
		return errors.New("internal error")
	})
	return srv
}

// websocketUpgrade prepares a websocket's upgrade request. It refuses an
// origin that may not open one with a 403 in the error envelope, before the
// upgrade is attempted (a failed upgrade would be answered twice, by gorilla
// and by gqlgen). And it keeps the credential the request carried (header
// or cookie, as httpx.WithAuth reads them), so the socket's operations are
// authenticated afresh like those of a connection_init token.
func websocketUpgrade(allowed func(r *http.Request) bool, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Upgrade") == "" {
			next.ServeHTTP(w, r)
			return
		}
		if allowed != nil && !allowed(r) {
			httpx.WriteError(w, r, apierr.Forbidden("websocket connections from this origin are not allowed"))
			return
		}
		token := auth.BearerToken(r.Header.Get("Authorization"))
		if c, err := r.Cookie("access_token"); token == "" && err == nil {
			token = c.Value
		}
		if token != "" {
			r = r.WithContext(context.WithValue(r.Context(), wsTokenKey{}, token))
		}
		r = r.WithContext(context.WithValue(r.Context(), wsSlotKey{}, &wsSlot{ip: httpx.ClientIP(r)}))
		next.ServeHTTP(w, r)
	})
}

// checkRequest answers what no transport serves in the error envelope of
// the rest of the API: another method (405) or a POST that is neither JSON
// nor a multipart upload (415); gqlgen would say "transport not supported"
// with status 400, labelled text/plain. It reads a JSON body before gqlgen
// does, so a body over the size limit (the middleware's http.MaxBytesReader)
// is a 413 as everywhere else; gqlgen would report the failed read with
// status 200. A declared Content-Length over the limit never gets here.
func checkRequest(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodGet, http.MethodOptions, http.MethodHead:
		case http.MethodPost:
			switch mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt {
			case "multipart/form-data":
			case "application/json":
				b, err := io.ReadAll(r.Body)
				var tooLarge *http.MaxBytesError
				switch {
				case errors.As(err, &tooLarge):
					httpx.WriteError(w, r, apierr.New(http.StatusRequestEntityTooLarge, "request too large", "request body is larger than %d bytes", tooLarge.Limit))
					return
				case err != nil:
					httpx.WriteError(w, r, apierr.BadRequest("the request body could not be read"))
					return
				}
				r.Body = io.NopCloser(bytes.NewReader(b))
			default:
				httpx.WriteError(w, r, apierr.New(http.StatusUnsupportedMediaType, "unsupported media type", "Content-Type must be application/json"))
				return
			}
		default:
			w.Header().Set("Allow", "GET, POST, OPTIONS")
			httpx.WriteError(w, r, apierr.New(http.StatusMethodNotAllowed, "method not allowed", "/graphql accepts GET and POST"))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// wsInit authenticates a websocket from its connection_init payload
// ({"Authorization": "Bearer …"}, {"headers": {"Authorization": …}} or
// {"token": …}); an invalid token refuses the connection: close code 4403
// (Forbidden, as graphql-ws specifies), after a connection_error message on
// the legacy protocol. The connection's context ends with shutdown, which
// closes the socket. The socket's session (wssession.go) then watches the
// token: it closes the socket with 4403 when the token expires or its
// session ends, unless the client sent a newer token.
func wsInit(svc *auth.Service, sessions *wsSessions, shutdown context.Context, log *slog.Logger) transport.WebsocketInitFunc {
	return func(ctx context.Context, payload transport.InitPayload) (context.Context, *transport.InitPayload, error) {
		token := initToken(payload)
		var p *auth.Principal
		if token != "" {
			var err error
			p, err = svc.Authenticate(ctx, token)
			if err != nil {
				code, msg := wsForbidden, err.Error()
				if _, ok := apierr.As(err); !ok {
					log.ErrorContext(ctx, "authenticating a websocket", "err", err)
					code, msg = wsInternalError, "internal error"
				}
				ctx = transport.AppendCloseReason(transport.WithWebsocketCloseCode(ctx, code), msg)
				return ctx, nil, errors.New(msg)
			}
			ctx = auth.NewContext(ctx, p, nil)
			ctx = context.WithValue(ctx, wsTokenKey{}, token)
		}
		ctx, cancel := context.WithCancel(ctx)
		context.AfterFunc(shutdown, cancel)
		if slot, ok := ctx.Value(wsSlotKey{}).(*wsSlot); ok && slot.conn != nil {
			if token == "" {
				token, _ = ctx.Value(wsTokenKey{}).(string) // the upgrade request's
				if token != "" {
					p, _ = svc.Authenticate(ctx, token)
				}
			}
			sess, err := sessions.start(ctx, slot.conn, token, p, slot.ip)
			if err != nil {
				cancel()
				ctx = transport.AppendCloseReason(transport.WithWebsocketCloseCode(ctx, wsTooMany), err.Error())
				return ctx, nil, err
			}
			ctx = context.WithValue(ctx, wsSessionKey{}, sess)
		}
		return ctx, nil, nil
	}
}

// initToken reads the access token of a connection_init (or renewal) payload.
func initToken(payload map[string]any) string {
	token := auth.BearerToken(transport.InitPayload(payload).Authorization())
	if headers, ok := payload["headers"].(map[string]any); ok && token == "" {
		for _, k := range []string{"Authorization", "authorization"} {
			if v, ok := headers[k].(string); ok {
				token = auth.BearerToken(v)
			}
		}
	}
	if token == "" {
		token = transport.InitPayload(payload).GetString("token")
	}
	return token
}

// Close codes of the graphql-ws protocol.
const (
	wsInternalError = 4500
	wsForbidden     = 4403
	// wsTooMany refuses a socket over its client's cap (graphql-ws uses
	// 4429 for too many requests of another kind).
	wsTooMany = 4429
	// wsRestored closes every socket after a backup was restored (4410,
	// "gone": the data the subscriptions watched was replaced); clients
	// connect and subscribe again. graphql-ws leaves 4410 unused.
	wsRestored = 4410
)

// msgRestored is the reason of a socket closed by a restore.
const msgRestored = "the data was restored from a backup: connect and subscribe again"

// wsTokenKey holds the access token a websocket authenticated with: that of
// connection_init, else that of the upgrade request.
type wsTokenKey struct{}

// reauthenticate checks a websocket's token again for every operation, as
// each HTTP request is, so a logout, a revoked session, an expired token or
// a role change applies to a socket opened before it.
func reauthenticate(svc *auth.Service) graphql.OperationMiddleware {
	return func(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
		token, ok := ctx.Value(wsTokenKey{}).(string)
		if sess, isWS := ctx.Value(wsSessionKey{}).(*wsSession); isWS {
			if t := sess.currentToken(); t != "" {
				token, ok = t, true // a renewed token
			}
		}
		if ok {
			p, err := svc.Authenticate(ctx, token)
			ctx = auth.NewContext(ctx, p, err)
		}
		return next(ctx)
	}
}

// Error codes in extensions.code, as Apollo and Hasura clients expect.
var codes = map[int]string{
	http.StatusBadRequest:          "BAD_USER_INPUT",
	http.StatusUnprocessableEntity: "BAD_USER_INPUT",
	http.StatusUnauthorized:        "UNAUTHENTICATED",
	http.StatusForbidden:           "FORBIDDEN",
	http.StatusNotFound:            "NOT_FOUND",
	http.StatusConflict:            "CONFLICT",
	http.StatusTooManyRequests:     "TOO_MANY_REQUESTS",
}

// presentError maps service errors to a message and code; an unexpected
// error is logged and shown only as "internal error".
func presentError(log *slog.Logger) graphql.ErrorPresenterFunc {
	return func(ctx context.Context, err error) *gqlerror.Error {
		gqlErr := graphql.DefaultErrorPresenter(ctx, err)
		if e, ok := apierr.As(records.NamePlanError(err, partNames)); ok {
			gqlErr.Message = e.Message
			code := codes[e.Status]
			if code == "" {
				code = "BAD_REQUEST"
			}
			gqlErr.Extensions = map[string]any{"code": code}
			if len(e.Fields) > 0 {
				gqlErr.Extensions["fields"] = e.Fields
			}
			return gqlErr
		}
		if gqlErr.Err == nil || isFramework(gqlErr.Err) {
			return gqlErr // parse, validation and coercion errors: the client's own
		}
		log.ErrorContext(ctx, "graphql internal error", "err", err, "path", gqlErr.Path.String())
		gqlErr.Message = "internal error"
		gqlErr.Extensions = map[string]any{"code": "INTERNAL_SERVER_ERROR"}
		return gqlErr
	}
}

func isFramework(err error) bool {
	var inner *gqlerror.Error
	return errors.As(err, &inner) && inner.Err == nil
}
