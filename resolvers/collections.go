package resolvers

import (
	"context"
	"encoding/json"

	"github.com/99designs/gqlgen/graphql"

	"fastcms/graph/model"
	"fastcms/internal/apierr"
	"fastcms/internal/collections"
	"fastcms/internal/page"
)

// collectionInput reads the field's arguments as the REST body would be
// read, so an argument left out is "unchanged" and one given as null is
// null (a rule: admins only). rename names the argument that carries the
// collection's new name in an update ("" in a create, where it is "name").
func collectionInput(ctx context.Context, rename string) (collections.Input, error) {
	oc := graphql.GetOperationContext(ctx)
	args := graphql.GetFieldContext(ctx).Field.ArgumentMap(oc.Variables)
	if rename != "" {
		delete(args, "name")
		if v, ok := args[rename]; ok {
			args["name"] = v
			delete(args, rename)
		}
	}
	var in collections.Input
	b, err := json.Marshal(args)
	if err == nil {
		err = json.Unmarshal(b, &in)
	}
	if err != nil {
		return in, apierr.BadRequest("invalid collection definition: %v", err)
	}
	return in, nil
}

func (r *Resolver) listCollections(ctx context.Context) ([]*model.Collection, error) {
	res, err := r.Services.Collections.List(ctx, page.Request{Page: 1, PerPage: 1 << 30, SkipTotal: true})
	if err != nil {
		return nil, err
	}
	out := make([]*model.Collection, len(res.Items))
	for i, c := range res.Items {
		out[i] = toCollection(c)
	}
	return out, nil
}

func toCollection(c *collections.Collection) *model.Collection {
	fields := make([]*model.CollectionField, len(c.Fields))
	for i, f := range c.Fields {
		v := f.Validation
		mf := &model.CollectionField{Name: f.Name, Type: f.Type, Hidden: f.Hidden, Validation: &model.FieldValidation{
			Required: v.Required, Unique: v.Unique, Min: v.Min, Max: v.Max, MinLength: v.MinLength, MaxLength: v.MaxLength,
			Values: v.Values,
		}}
		if v.Pattern != "" {
			p := v.Pattern
			mf.Validation.Pattern = &p
		}
		if f.Relation != nil {
			mf.Relation = &model.FieldRelation{Collection: f.Relation.Collection, CascadeDelete: f.Relation.CascadeDelete, MaxSelect: nonZero(f.Relation.MaxSelect)}
		}
		if f.Select != nil {
			mf.Select = &model.FieldSelect{Values: f.Select.Values, MaxSelect: nonZero(f.Select.MaxSelect)}
		}
		if o := f.File; o != nil {
			mf.File = &model.FieldFile{MaxFiles: nonZero(o.MaxFiles), MimeTypes: o.MimeTypes, OnDelete: o.OnDelete}
			if o.MaxSize > 0 {
				size := float64(o.MaxSize)
				mf.File.MaxSize = &size
			}
		}
		fields[i] = mf
	}
	options := c.Options
	if options == nil {
		options = map[string]any{}
	}
	return &model.Collection{ID: c.ID, Name: c.Name, Type: c.Type, Schema: fields, ListRule: c.ListRule, ViewRule: c.ViewRule,
		CreateRule: c.CreateRule, UpdateRule: c.UpdateRule, DeleteRule: c.DeleteRule, Options: options, Created: c.Created, Updated: c.Updated}
}

func nonZero(n int) *int {
	if n == 0 {
		return nil
	}
	return &n
}
