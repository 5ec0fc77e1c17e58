package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"fastcms/internal/apierr"
)

// rateLimit counts each operation of a websocket (queries, mutations and
// subscriptions started) against the caller's api_rate_limit budget, as
// each HTTP request is counted by the router's middleware; past it the
// operation gets TOO_MANY_REQUESTS with retry_after and does not run.
func rateLimit(allow func(context.Context) error) graphql.OperationMiddleware {
	return func(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
		if _, isWS := ctx.Value(wsSlotKey{}).(*wsSlot); !isWS || allow == nil {
			return next(ctx)
		}
		err := allow(ctx)
		if err == nil {
			return next(ctx)
		}
		ext := map[string]any{"code": "TOO_MANY_REQUESTS"}
		if secs, ok := apierr.RetryAfter(err); ok {
			ext["retry_after"] = secs
		}
		return graphql.OneShot(&graphql.Response{Errors: gqlerror.List{{Message: err.Error(), Extensions: ext}}})
	}
}
