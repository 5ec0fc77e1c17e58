package rest

import (
	"net/http"

	"fastcms/internal/apierr"
)

func (h handlers) exportCSV(w http.ResponseWriter, r *http.Request) error {
	return apierr.New(http.StatusNotImplemented, "not implemented", "CSV export is not implemented yet")
}

func (h handlers) importCSV(w http.ResponseWriter, r *http.Request) error {
	return apierr.New(http.StatusNotImplemented, "not implemented", "CSV import is not implemented yet")
}
