package app

import (
	"net/http"
	"time"

	"fastcms/internal/config"
	"fastcms/internal/httpx"
)

// NewServer is the http.Server of cmd fastcms around h (App.Handler). Every
// request has cfg.HTTP's read and write timeouts; the CSV routes move those
// deadlines themselves (see httpx.Timeouts), and the websocket upgrader
// clears them from the connections it takes over.
func NewServer(cfg *config.Config, h http.Handler) *http.Server {
	srv := &http.Server{
		Addr:              cfg.Addr,
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
	}
	timeouts(cfg).Apply(srv)
	return srv
}

func timeouts(cfg *config.Config) httpx.Timeouts {
	return httpx.Timeouts{Read: cfg.HTTP.ReadTimeout, Write: cfg.HTTP.WriteTimeout, Stream: cfg.HTTP.StreamTimeout}
}
