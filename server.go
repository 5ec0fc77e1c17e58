// Command fastcms is the FastCMS server: a GraphQL-first backend-as-a-service
// on PostgreSQL. With no configuration it serves on :8000 against the local
// PostgreSQL, creating the database and applying migrations on first start.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"fastcms/internal/app"
	"fastcms/internal/config"
	"fastcms/internal/database"
	"fastcms/internal/logging"
	"fastcms/migrations"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "fastcms:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	cfg, err := config.Load(args, os.Getenv)
	if err != nil {
		return err
	}
	logOut := logging.NewWriter(os.Stderr, 100*time.Millisecond)
	defer logOut.Close()
	log := logging.New(logOut, cfg.LogLevel)
	slog.SetDefault(log)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	stopCluster, err := database.EnsureServer(cfg.DatabaseURL, cfg.DataDir, log)
	if err != nil {
		return fmt.Errorf("starting PostgreSQL: %w", err)
	}
	defer stopCluster()
	dsn, err := database.WithStatementTimeout(cfg.DatabaseURL, cfg.StatementTimeout)
	if err != nil {
		return err
	}
	db, err := database.Open(ctx, dsn, cfg.DatabaseMaxConns)
	if err != nil {
		return fmt.Errorf("connecting to PostgreSQL: %w", err)
	}
	defer db.Close()
	if err := database.Migrate(ctx, db, migrations.FS); err != nil {
		return err
	}
	if err := cfg.EnsureJWTSecret(); err != nil {
		return fmt.Errorf("JWT secret: %w", err)
	}
	a, err := app.New(cfg, db, app.Options{Log: log})
	if err != nil {
		return err
	}
	defer a.Close()

	srv := app.NewServer(cfg, a.Handler)
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	log.Info("serving", "addr", cfg.Addr, "graphql", "/graphql", "playground", "/playground", "rest", "/api/v1")
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down: draining requests and closing websockets")
	a.Drain()
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
