package rest

import (
	"net/http"

	"fastcms/internal/apierr"
)

func (h handlers) bulkDelete(w http.ResponseWriter, r *http.Request) error {
	return apierr.New(http.StatusNotImplemented, "not implemented", "bulk delete is not implemented yet")
}

func (h handlers) bulkUpdate(w http.ResponseWriter, r *http.Request) error {
	return apierr.New(http.StatusNotImplemented, "not implemented", "bulk update is not implemented yet")
}
