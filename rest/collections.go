package rest

import (
	"net/http"

	"fastcms/internal/collections"
	"fastcms/internal/httpx"
	"fastcms/internal/timefmt"
)

type fieldResponse struct {
	Name       string                     `json:"name"`
	Type       string                     `json:"type"`
	Validation collections.Validation     `json:"validation"`
	Relation   *relationResponse          `json:"relation,omitempty"`
	Select     *collections.SelectOptions `json:"select,omitempty"`
	File       *collections.FileOptions   `json:"file,omitempty"`
	Hidden     bool                       `json:"hidden"`
}

type relationResponse struct {
	Collection    string `json:"collection"`
	CascadeDelete bool   `json:"cascade_delete"`
	MaxSelect     int    `json:"max_select,omitempty"`
}

type collectionResponse struct {
	ID         string          `json:"id"`
	Name       string          `json:"name"`
	Type       string          `json:"type"`
	Schema     []fieldResponse `json:"schema"`
	ListRule   *string         `json:"list_rule"`
	ViewRule   *string         `json:"view_rule"`
	CreateRule *string         `json:"create_rule"`
	UpdateRule *string         `json:"update_rule"`
	DeleteRule *string         `json:"delete_rule"`
	Options    map[string]any  `json:"options"`
	Created    string          `json:"created"`
	Updated    string          `json:"updated"`
}

func newCollection(c **collections.Collection) collectionResponse {
	col := *c
	fields := make([]fieldResponse, len(col.Fields))
	for i, f := range col.Fields {
		fields[i] = fieldResponse{Name: f.Name, Type: f.Type, Validation: f.Validation, Select: f.Select, File: f.File, Hidden: f.Hidden}
		if f.Relation != nil {
			fields[i].Relation = &relationResponse{Collection: f.Relation.Collection, CascadeDelete: f.Relation.CascadeDelete, MaxSelect: f.Relation.MaxSelect}
		}
	}
	return collectionResponse{ID: col.ID, Name: col.Name, Type: col.Type, Schema: fields, ListRule: col.ListRule, ViewRule: col.ViewRule,
		CreateRule: col.CreateRule, UpdateRule: col.UpdateRule, DeleteRule: col.DeleteRule, Options: col.Options,
		Created: timefmt.Format(col.Created), Updated: timefmt.Format(col.Updated)}
}

func (h handlers) listCollections(w http.ResponseWriter, r *http.Request) error {
	req, err := pageRequest(r)
	if err != nil {
		return err
	}
	res, err := h.Collections.List(r.Context(), req)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, newPage(res, newCollection))
	return nil
}

func (h handlers) createCollection(w http.ResponseWriter, r *http.Request) error {
	var in collections.Input
	if err := httpx.DecodeJSON(r, &in); err != nil {
		return err
	}
	c, err := h.Collections.Create(r.Context(), in)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusCreated, newCollection(&c))
	return nil
}

func (h handlers) getCollection(w http.ResponseWriter, r *http.Request) error {
	c, err := h.Collections.Get(r.Context(), r.PathValue("collection"))
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, newCollection(&c))
	return nil
}

func (h handlers) updateCollection(w http.ResponseWriter, r *http.Request) error {
	var in collections.Input
	if err := httpx.DecodeJSON(r, &in); err != nil {
		return err
	}
	c, err := h.Collections.Update(r.Context(), r.PathValue("collection"), in)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, newCollection(&c))
	return nil
}

func (h handlers) deleteCollection(w http.ResponseWriter, r *http.Request) error {
	if err := h.Collections.Delete(r.Context(), r.PathValue("collection")); err != nil {
		return err
	}
	return noContent(w)
}
