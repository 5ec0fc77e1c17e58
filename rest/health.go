package rest

import (
	"context"
	"net/http"
	"time"

	"fastcms/internal/httpx"
)

type healthResponse struct {
	Status  string `json:"status"`
	Service string `json:"service"`
	Version string `json:"version"`
}

// health is liveness that includes the database, as the spec's clients expect.
func (h handlers) health(w http.ResponseWriter, r *http.Request) error {
	return h.probe(w, r, h.Ping)
}

// ready also fails while the server drains for shutdown, so a load balancer
// stops sending it work.
func (h handlers) ready(w http.ResponseWriter, r *http.Request) error {
	return h.probe(w, r, h.Ready)
}

func (h handlers) probe(w http.ResponseWriter, r *http.Request, check func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	status, code := "healthy", http.StatusOK
	if err := check(ctx); err != nil {
		status, code = "unhealthy", http.StatusServiceUnavailable
	}
	httpx.WriteJSON(w, code, healthResponse{Status: status, Service: "fastcms", Version: h.Version})
	return nil
}
