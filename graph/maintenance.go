package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"fastcms/internal/auth"
	"fastcms/internal/httpx"
)

// accountMutations keep working in maintenance mode, as the REST routes
// under /api/v1/auth/ and /api/v1/setup do: users can still sign in, out
// and manage their accounts.
var accountMutations = map[string]bool{
	"setup": true, "register": true, "login": true, "refresh_token": true, "logout": true, "logout_all": true,
	"update_me": true, "request_email_change": true, "confirm_email_change": true, "delete_me": true,
	"change_password": true, "request_password_reset": true, "reset_password": true,
	"request_verification": true, "verify_email": true, "revoke_session": true,
}

// maintenance refuses the mutations of non-admins while on reports
// maintenance mode, with SERVICE_UNAVAILABLE and no data, before any
// resolver runs; a mutation that selects only account fields goes through.
// Queries and subscriptions are reads and always run.
func maintenance(on func() bool) graphql.OperationMiddleware {
	return func(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
		oc := graphql.GetOperationContext(ctx)
		if on == nil || oc.Operation == nil || oc.Operation.Operation != ast.Mutation || !on() ||
			auth.FromContext(ctx).IsAdmin() || onlyAccountFields(oc) {
			return next(ctx)
		}
		err := &gqlerror.Error{Message: httpx.Maintenance().Message, Extensions: map[string]any{"code": "SERVICE_UNAVAILABLE"}}
		return graphql.OneShot(&graphql.Response{Errors: gqlerror.List{err}})
	}
}

func onlyAccountFields(oc *graphql.OperationContext) bool {
	for _, f := range graphql.CollectFields(oc, oc.Operation.SelectionSet, []string{"Mutation"}) {
		if f.Name != "__typename" && !accountMutations[f.Name] {
			return false
		}
	}
	return true
}
