package resolvers

import (
	"context"

	"fastcms/graph/model"
	"fastcms/internal/opt"
	"fastcms/internal/page"
	"fastcms/internal/webhooks"
)

// webhookInput maps GraphQL arguments to the service's input: an
// argument left out (or null) leaves its field as it is.
func webhookInput(url, collection *string, events []string, filter, secret *string, retryCount *int, enabled *bool) webhooks.Input {
	in := webhooks.Input{}
	set := func(dst *opt.Value[string], v *string) {
		if v != nil {
			*dst = opt.Some(*v)
		}
	}
	set(&in.URL, url)
	set(&in.Collection, collection)
	set(&in.Filter, filter)
	set(&in.Secret, secret)
	if events != nil {
		in.Events = opt.Some(events)
	}
	if retryCount != nil {
		in.RetryCount = opt.Some(*retryCount)
	}
	if enabled != nil {
		in.Enabled = opt.Some(*enabled)
	}
	return in
}

func toWebhook(w *webhooks.Webhook) *model.Webhook {
	m := &model.Webhook{ID: w.ID, URL: w.URL, CollectionID: w.CollectionID, CollectionName: w.Collection, Events: w.Events,
		Filter: w.Filter, RetryCount: w.RetryCount, Enabled: w.Enabled, Created: w.Created, Updated: w.Updated}
	if w.Secret != "" {
		m.Secret = &w.Secret
	}
	return m
}

func toDelivery(d *webhooks.Delivery) *model.WebhookDelivery {
	return &model.WebhookDelivery{ID: d.ID, WebhookID: d.WebhookID, EventSeq: int(d.EventSeq), Event: d.Event, RecordID: d.RecordID,
		Status: d.Status, Attempts: d.Attempts, NextAttemptAt: d.NextAttemptAt, LastStatusCode: d.LastStatus,
		LastError: d.LastError, LastResponse: d.LastResponse, Created: d.Created, Updated: d.Updated}
}

// listWebhooks and listDeliveries live here because the generated
// signatures name an argument "page", which hides the package.
func (r *Resolver) listWebhooks(ctx context.Context, pageNum, perPage *int, skipTotal *bool) (*model.WebhookPage, error) {
	req, err := page.New(pageNum, perPage, skipTotal != nil && *skipTotal)
	if err != nil {
		return nil, err
	}
	res, err := r.Services.Webhooks.List(ctx, req)
	if err != nil {
		return nil, err
	}
	items := make([]*model.Webhook, len(res.Items))
	for i := range res.Items {
		items[i] = toWebhook(&res.Items[i])
	}
	return &model.WebhookPage{Items: items, Total: res.Total, Page: res.Page, PerPage: res.PerPage, TotalPages: res.TotalPages}, nil
}

func (r *Resolver) listDeliveries(ctx context.Context, webhookID string, pageNum, perPage *int, skipTotal *bool) (*model.WebhookDeliveryPage, error) {
	req, err := page.New(pageNum, perPage, skipTotal != nil && *skipTotal)
	if err != nil {
		return nil, err
	}
	res, err := r.Services.Webhooks.Deliveries(ctx, webhookID, req)
	if err != nil {
		return nil, err
	}
	items := make([]*model.WebhookDelivery, len(res.Items))
	for i := range res.Items {
		items[i] = toDelivery(&res.Items[i])
	}
	return &model.WebhookDeliveryPage{Items: items, Total: res.Total, Page: res.Page, PerPage: res.PerPage, TotalPages: res.TotalPages}, nil
}
