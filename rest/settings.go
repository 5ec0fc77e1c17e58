package rest

import (
	"encoding/json"
	"net/http"

	"fastcms/internal/httpx"
	"fastcms/internal/settings"
)

// settingResponse is one setting in a listing; value is null for a secret.
type settingResponse struct {
	Value       json.RawMessage `json:"value"`
	Description string          `json:"description"`
	Source      string          `json:"source"`
	Secret      bool            `json:"secret"`
}

// storedSettingResponse answers an upsert: the setting with its key.
type storedSettingResponse struct {
	Key      string `json:"key"`
	Category string `json:"category"`
	settingResponse
}

func newSetting(e settings.Entry) settingResponse {
	v := e.Value
	if v == nil {
		v = json.RawMessage("null")
	}
	return settingResponse{Value: v, Description: e.Description, Source: e.Source, Secret: e.Secret}
}

func (h handlers) listSettings(w http.ResponseWriter, r *http.Request) error {
	list, err := h.Settings.List(r.Context(), "")
	if err != nil {
		return err
	}
	out := map[string]map[string]settingResponse{}
	for _, c := range settings.Categories {
		out[c] = map[string]settingResponse{}
	}
	for _, e := range list {
		out[e.Category][e.Key] = newSetting(e)
	}
	httpx.WriteJSON(w, http.StatusOK, out)
	return nil
}

func (h handlers) categorySettings(w http.ResponseWriter, r *http.Request) error {
	list, err := h.Settings.List(r.Context(), r.PathValue("category"))
	if err != nil {
		return err
	}
	out := map[string]settingResponse{}
	for _, e := range list {
		out[e.Key] = newSetting(e)
	}
	httpx.WriteJSON(w, http.StatusOK, out)
	return nil
}

type setSettingRequest struct {
	Key         string          `json:"key"`
	Value       json.RawMessage `json:"value"`
	Category    *string         `json:"category"`
	Description *string         `json:"description"`
}

func (h handlers) setSetting(w http.ResponseWriter, r *http.Request) error {
	var req setSettingRequest
	if err := httpx.DecodeJSON(r, &req); err != nil {
		return err
	}
	e, err := h.Settings.Set(r.Context(), settings.Input{Key: req.Key, Value: req.Value, Category: req.Category, Description: req.Description})
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, storedSettingResponse{Key: e.Key, Category: e.Category, settingResponse: newSetting(e)})
	return nil
}

func (h handlers) deleteSetting(w http.ResponseWriter, r *http.Request) error {
	if err := h.Settings.Delete(r.Context(), r.PathValue("key")); err != nil {
		return err
	}
	return noContent(w)
}
