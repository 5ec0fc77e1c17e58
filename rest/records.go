package rest

import (
	"encoding/json"
	"net/http"
	"strings"

	"fastcms/internal/apierr"
	"fastcms/internal/httpx"
	"fastcms/internal/records"
)

type recordBody struct {
	Data map[string]any `json:"data"`
}

func decodeRecord(r *http.Request) (map[string]any, error) {
	var body recordBody
	if err := httpx.DecodeJSON(r, &body); err != nil {
		return nil, err
	}
	if body.Data == nil {
		return nil, apierr.InvalidField("data", "must be an object of field values")
	}
	return body.Data, nil
}

// listParam reads a comma list such as fields=a,b (nil when absent).
func listParam(r *http.Request, name string) []string {
	v := r.URL.Query().Get(name)
	if v == "" {
		return nil
	}
	var out []string
	for _, f := range strings.Split(v, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

type recordListResponse struct {
	Items      json.RawMessage `json:"items"`
	Total      int             `json:"total"`
	Page       int             `json:"page"`
	PerPage    int             `json:"per_page"`
	TotalPages int             `json:"total_pages"`
}

func (h handlers) listRecords(w http.ResponseWriter, r *http.Request) error {
	req, err := pageRequest(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	list, err := h.Records.List(r.Context(), r.PathValue("collection"), records.ListParams{
		Page: req, Filter: q.Get("filter"), Sort: q.Get("sort"), Search: q.Get("search"),
		Fields: listParam(r, "fields"), Expand: listParam(r, "expand"),
	})
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, recordListResponse{Items: list.Items, Total: list.Total, Page: list.Page, PerPage: list.PerPage, TotalPages: list.TotalPages})
	return nil
}

func (h handlers) getRecord(w http.ResponseWriter, r *http.Request) error {
	rec, err := h.Records.Get(r.Context(), r.PathValue("collection"), r.PathValue("id"), records.GetParams{
		Fields: listParam(r, "fields"), Expand: listParam(r, "expand")})
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, rec)
	return nil
}

func (h handlers) createRecord(w http.ResponseWriter, r *http.Request) error {
	data, err := decodeRecord(r)
	if err != nil {
		return err
	}
	rec, err := h.Records.Create(r.Context(), r.PathValue("collection"), data)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusCreated, rec)
	return nil
}

func (h handlers) updateRecord(w http.ResponseWriter, r *http.Request) error {
	data, err := decodeRecord(r)
	if err != nil {
		return err
	}
	rec, err := h.Records.Update(r.Context(), r.PathValue("collection"), r.PathValue("id"), data)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, rec)
	return nil
}

func (h handlers) deleteRecord(w http.ResponseWriter, r *http.Request) error {
	if err := h.Records.Delete(r.Context(), r.PathValue("collection"), r.PathValue("id")); err != nil {
		return err
	}
	return noContent(w)
}
