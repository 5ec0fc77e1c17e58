package rest

import (
	"net/http"

	"fastcms/internal/httpx"
	"fastcms/internal/timefmt"
	"fastcms/internal/webhooks"
)

// webhookResponse is a webhook as both APIs show it; Secret only in the
// answer to its creation.
type webhookResponse struct {
	ID             string   `json:"id"`
	URL            string   `json:"url"`
	CollectionID   string   `json:"collection_id"`
	CollectionName string   `json:"collection_name"`
	Events         []string `json:"events"`
	Filter         string   `json:"filter"`
	Secret         string   `json:"secret,omitempty"`
	RetryCount     int      `json:"retry_count"`
	Enabled        bool     `json:"enabled"`
	Created        string   `json:"created"`
	Updated        string   `json:"updated"`
}

func newWebhook(w *webhooks.Webhook) webhookResponse {
	return webhookResponse{ID: w.ID, URL: w.URL, CollectionID: w.CollectionID, CollectionName: w.Collection,
		Events: w.Events, Filter: w.Filter, Secret: w.Secret, RetryCount: w.RetryCount, Enabled: w.Enabled,
		Created: timefmt.Format(w.Created), Updated: timefmt.Format(w.Updated)}
}

type deliveryResponse struct {
	ID             string  `json:"id"`
	WebhookID      string  `json:"webhook_id"`
	EventSeq       int64   `json:"event_seq"`
	Event          string  `json:"event"`
	RecordID       string  `json:"record_id"`
	Status         string  `json:"status"`
	Attempts       int     `json:"attempts"`
	NextAttemptAt  *string `json:"next_attempt_at"`
	LastStatusCode *int    `json:"last_status_code"`
	LastError      string  `json:"last_error"`
	LastResponse   string  `json:"last_response"`
	Created        string  `json:"created"`
	Updated        string  `json:"updated"`
}

func newDelivery(d *webhooks.Delivery) deliveryResponse {
	r := deliveryResponse{ID: d.ID, WebhookID: d.WebhookID, EventSeq: d.EventSeq, Event: d.Event, RecordID: d.RecordID,
		Status: d.Status, Attempts: d.Attempts, LastStatusCode: d.LastStatus, LastError: d.LastError,
		LastResponse: d.LastResponse, Created: timefmt.Format(d.Created), Updated: timefmt.Format(d.Updated)}
	if d.NextAttemptAt != nil {
		t := timefmt.Format(*d.NextAttemptAt)
		r.NextAttemptAt = &t
	}
	return r
}

func (h handlers) createWebhook(w http.ResponseWriter, r *http.Request) error {
	var in webhooks.Input
	if err := httpx.DecodeJSON(r, &in); err != nil {
		return err
	}
	hook, err := h.Webhooks.Create(r.Context(), in)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusCreated, newWebhook(hook))
	return nil
}

func (h handlers) listWebhooks(w http.ResponseWriter, r *http.Request) error {
	req, err := pageRequest(r)
	if err != nil {
		return err
	}
	res, err := h.Webhooks.List(r.Context(), req)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, newPage(res, newWebhook))
	return nil
}

func (h handlers) getWebhook(w http.ResponseWriter, r *http.Request) error {
	hook, err := h.Webhooks.Get(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, newWebhook(hook))
	return nil
}

func (h handlers) updateWebhook(w http.ResponseWriter, r *http.Request) error {
	var in webhooks.Input
	if err := httpx.DecodeJSON(r, &in); err != nil {
		return err
	}
	hook, err := h.Webhooks.Update(r.Context(), r.PathValue("id"), in)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, newWebhook(hook))
	return nil
}

func (h handlers) deleteWebhook(w http.ResponseWriter, r *http.Request) error {
	if err := h.Webhooks.Delete(r.Context(), r.PathValue("id")); err != nil {
		return err
	}
	return noContent(w)
}

func (h handlers) listDeliveries(w http.ResponseWriter, r *http.Request) error {
	req, err := pageRequest(r)
	if err != nil {
		return err
	}
	res, err := h.Webhooks.Deliveries(r.Context(), r.PathValue("id"), req)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, newPage(res, newDelivery))
	return nil
}

func (h handlers) redeliver(w http.ResponseWriter, r *http.Request) error {
	d, err := h.Webhooks.Redeliver(r.Context(), r.PathValue("id"), r.PathValue("delivery"))
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, newDelivery(d))
	return nil
}
