// Package graph is the GraphQL machinery: the executor gqlgen generates from
// schema.graphqls (generated.go), its transports, limits and error shape.
package graph

import (
	"context"
	"errors"
	"log/slog"
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
)

// Options configures the GraphQL server.
type Options struct {
	Resolvers ResolverRoot
	Auth      *auth.Service
	// CheckOrigin accepts or refuses a websocket's Origin header.
	CheckOrigin func(r *http.Request) bool
	// Shutdown closes every open websocket when it is done.
	Shutdown context.Context
	// MaxDepth and MaxComplexity bound what one operation may ask for.
	MaxDepth      int
	MaxComplexity int
	Log           *slog.Logger
}

// NewServer builds the /graphql handler: POST, GET and websockets (both
// subprotocols), with depth and complexity limits and the error codes of
// spec/graphql-api.md in each error's extensions.
func NewServer(o Options) http.Handler {
	srv := handler.New(NewExecutableSchema(Config{Resolvers: o.Resolvers}))
	srv.AddTransport(transport.Websocket{
		Implementation:        newGorillaWebsocket(o.CheckOrigin),
		InitFunc:              wsInit(o.Auth, o.Shutdown),
		InitTimeout:           10 * time.Second,
		KeepAlivePingInterval: 15 * time.Second,
	})
	srv.AddTransport(transport.Options{})
	srv.AddTransport(transport.GET{})
	srv.AddTransport(transport.POST{})
	srv.SetQueryCache(lru.New[*ast.QueryDocument](1000))
	srv.Use(extension.Introspection{})
	srv.Use(depthLimit{max: o.MaxDepth})
	srv.Use(extension.FixedComplexityLimit(o.MaxComplexity))
	srv.SetErrorPresenter(presentError(o.Log))
	srv.SetRecoverFunc(func(ctx context.Context, v any) error {
		o.Log.ErrorContext(ctx, "panic in a resolver", "panic", v)
		return errors.New("internal error")
	})
	return srv
}

// wsInit authenticates a websocket from its connection_init payload
// ({"Authorization": "Bearer …"}, {"headers": {"Authorization": …}} or
// {"token": …}); an invalid token refuses the connection. The connection's
// context ends with shutdown, which closes the socket.
func wsInit(svc *auth.Service, shutdown context.Context) transport.WebsocketInitFunc {
	return func(ctx context.Context, payload transport.InitPayload) (context.Context, *transport.InitPayload, error) {
		token := auth.BearerToken(payload.Authorization())
		if headers, ok := payload["headers"].(map[string]any); ok && token == "" {
			for _, k := range []string{"Authorization", "authorization"} {
				if v, ok := headers[k].(string); ok {
					token = auth.BearerToken(v)
				}
			}
		}
		if token == "" {
			token = payload.GetString("token")
		}
		if token != "" {
			p, err := svc.Authenticate(ctx, token)
			if err != nil {
				return ctx, nil, err
			}
			ctx = auth.NewContext(ctx, p, nil)
		}
		ctx, cancel := context.WithCancel(ctx)
		context.AfterFunc(shutdown, cancel)
		return ctx, nil, nil
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
}

// presentError maps service errors to a message and code; an unexpected
// error is logged and shown only as "internal error".
func presentError(log *slog.Logger) graphql.ErrorPresenterFunc {
	return func(ctx context.Context, err error) *gqlerror.Error {
		gqlErr := graphql.DefaultErrorPresenter(ctx, err)
		if e, ok := apierr.As(err); ok {
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
