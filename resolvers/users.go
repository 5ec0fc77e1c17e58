package resolvers

import (
	"context"

	"fastcms/graph/model"
	"fastcms/internal/page"
)

// listUsers is the users query; it lives here because the generated
// signature names an argument "page", which hides the package.
func (r *Resolver) listUsers(ctx context.Context, pageNum, perPage *int, skipTotal *bool) (*model.UserPage, error) {
	req, err := page.New(pageNum, perPage, skipTotal != nil && *skipTotal)
	if err != nil {
		return nil, err
	}
	res, err := r.Services.Auth.ListUsers(ctx, req)
	if err != nil {
		return nil, err
	}
	items := make([]*model.User, len(res.Items))
	for i := range res.Items {
		items[i] = toUser(&res.Items[i])
	}
	return &model.UserPage{Items: items, Total: res.Total, Page: res.Page, PerPage: res.PerPage, TotalPages: res.TotalPages}, nil
}
