// Package resolvers implements the static GraphQL schema. Resolvers are thin:
// they call the same services as the REST routes and map the results.
package resolvers

import (
	"context"

	"fastcms/internal/auth"
	"fastcms/internal/collections"
	"fastcms/internal/webhooks"
)

// Resolver is the root of the static resolvers; it holds the services.
type Resolver struct {
	Auth              *auth.Service
	CollectionService *collections.Service
	WebhookService    *webhooks.Service
}

// ClientFunc returns where the current request comes from, for session labels.
type clientKey struct{}

// WithClient records the caller's user agent and address for the resolvers.
func WithClient(ctx context.Context, c auth.Client) context.Context {
	return context.WithValue(ctx, clientKey{}, c)
}

func clientOf(ctx context.Context) auth.Client {
	c, _ := ctx.Value(clientKey{}).(auth.Client)
	return c
}
