package resolvers

import (
	"context"
	"encoding/json"

	"github.com/99designs/gqlgen/graphql"

	"fastcms/graph/model"
	"fastcms/internal/apierr"
	"fastcms/internal/settings"
)

func toSetting(e settings.Entry) *model.Setting {
	s := &model.Setting{Key: e.Key, Category: e.Category, Description: e.Description, Source: e.Source, Secret: e.Secret}
	if e.Value != nil {
		s.Value = e.Value
	}
	return s
}

func (r *Resolver) listSettings(ctx context.Context, category *string) ([]*model.Setting, error) {
	c := ""
	if category != nil {
		c = *category
	}
	list, err := r.Services.Settings.List(ctx, c)
	if err != nil {
		return nil, err
	}
	out := make([]*model.Setting, len(list))
	for i, e := range list {
		out[i] = toSetting(e)
	}
	return out, nil
}

// setSetting reads value as the REST body's: left out it is missing (422),
// given as null it is JSON null.
func (r *Resolver) setSetting(ctx context.Context, key string, value any, category, description *string) (*model.Setting, error) {
	in := settings.Input{Key: key, Category: category, Description: description}
	oc := graphql.GetOperationContext(ctx)
	if _, given := graphql.GetFieldContext(ctx).Field.ArgumentMap(oc.Variables)["value"]; given {
		raw, err := json.Marshal(value)
		if err != nil {
			return nil, apierr.InvalidField("value", "must be JSON")
		}
		in.Value = raw
	}
	e, err := r.Services.Settings.Set(ctx, in)
	if err != nil {
		return nil, err
	}
	return toSetting(e), nil
}
