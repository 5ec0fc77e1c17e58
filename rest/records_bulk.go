package rest

import (
	"net/http"

	"fastcms/internal/httpx"
	"fastcms/internal/records"
)

type bulkDeleteBody struct {
	RecordIDs []string `json:"record_ids"`
}

type bulkUpdateBody struct {
	RecordIDs []string       `json:"record_ids"`
	Data      map[string]any `json:"data"`
}

type bulkErrorResponse struct {
	RecordID string `json:"record_id"`
	Error    string `json:"error"`
}

type bulkResponse struct {
	Success int                 `json:"success"`
	Failed  int                 `json:"failed"`
	Errors  []bulkErrorResponse `json:"errors"`
}

func newBulk(res *records.BulkResult) bulkResponse {
	out := bulkResponse{Success: res.Success, Failed: res.Failed, Errors: make([]bulkErrorResponse, len(res.Errors))}
	for i, e := range res.Errors {
		out.Errors[i] = bulkErrorResponse{RecordID: e.RecordID, Error: e.Error}
	}
	return out
}

func (h handlers) bulkDelete(w http.ResponseWriter, r *http.Request) error {
	var body bulkDeleteBody
	if err := httpx.DecodeJSON(r, &body); err != nil {
		return err
	}
	res, err := h.Records.BulkDelete(r.Context(), r.PathValue("collection"), body.RecordIDs)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, newBulk(res))
	return nil
}

func (h handlers) bulkUpdate(w http.ResponseWriter, r *http.Request) error {
	var body bulkUpdateBody
	if err := httpx.DecodeJSON(r, &body); err != nil {
		return err
	}
	res, err := h.Records.BulkUpdate(r.Context(), r.PathValue("collection"), body.RecordIDs, body.Data)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, newBulk(res))
	return nil
}
