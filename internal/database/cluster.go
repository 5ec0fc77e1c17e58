package database

import (
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"time"
)

// EnsureServer makes a PostgreSQL server answer at dsn's host and port. When
// one already does, or the host is not this machine, it does nothing. When
// none does but PostgreSQL's binaries are installed, it starts a private
// cluster under dataDir/postgres (initialising it on first use) and returns a
// stop function; as root the cluster runs as the "postgres" user, because
// PostgreSQL refuses to run as root.
func EnsureServer(dsn, dataDir string, log *slog.Logger) (stop func(), err error) {
	noop := func() {}
	u, err := url.Parse(dsn)
	if err != nil {
		return noop, err
	}
	host, port := u.Hostname(), u.Port()
	if port == "" {
		port = "5432"
	}
	if host != "127.0.0.1" && host != "localhost" && host != "::1" {
		return noop, nil
	}
	if conn, err := net.DialTimeout("tcp", net.JoinHostPort(host, port), time.Second); err == nil {
		conn.Close()
		return noop, nil
	}
	bin := findPostgresBin()
	if bin == "" {
		return noop, nil
	}
	dir, err := filepath.Abs(filepath.Join(dataDir, "postgres"))
	if err != nil {
		return noop, err
	}
	asPostgres := os.Geteuid() == 0
	// Commands run under their own context: the caller's may already be
	// cancelled (by a signal) when the cluster is stopped.
	run := func(name string, args ...string) error {
		cmd := exec.Command(filepath.Join(bin, name), args...)
		if asPostgres {
			cmd = exec.Command("runuser", append([]string{"-u", "postgres", "--", filepath.Join(bin, name)}, args...)...)
		}
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("%s: %w: %s", name, err, out)
		}
		return nil
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return noop, err
	}
	if asPostgres {
		// The postgres user must be able to reach the cluster: let it pass
		// through the data directory (not read it) and own the cluster.
		if err := os.Chmod(filepath.Dir(dir), 0o711); err != nil {
			return noop, err
		}
		if err := chownToPostgres(dir); err != nil {
			return noop, err
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "PG_VERSION")); err != nil {
		log.Info("initialising a private PostgreSQL cluster", "dir", dir)
		if err := run("initdb", "-D", dir, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-instructions"); err != nil {
			return noop, err
		}
	}
	log.Info("starting the private PostgreSQL cluster", "dir", dir, "port", port)
	opts := fmt.Sprintf("-p %s -k %s -c listen_addresses=%s", port, dir, host)
	if err := run("pg_ctl", "-D", dir, "-o", opts, "-l", filepath.Join(dir, "server.log"), "-w", "start"); err != nil {
		return noop, err
	}
	return func() {
		log.Info("stopping the private PostgreSQL cluster")
		if err := run("pg_ctl", "-D", dir, "-m", "fast", "-w", "stop"); err != nil {
			log.Error("stopping the private cluster", "err", err)
		}
	}, nil
}

// findPostgresBin returns the directory of the newest installed initdb.
func findPostgresBin() string {
	if p, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(p)
	}
	found, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	if len(found) == 0 {
		return ""
	}
	sort.Strings(found)
	return filepath.Dir(found[len(found)-1])
}

func chownToPostgres(dir string) error {
	pg, err := user.Lookup("postgres")
	if err != nil {
		return fmt.Errorf("running as root needs a postgres user for the private cluster: %w", err)
	}
	cmd := exec.Command("chown", "-R", pg.Username+":", dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("chown %s: %w: %s", dir, err, out)
	}
	return nil
}
