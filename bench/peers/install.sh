#!/usr/bin/env bash
# Installs the peers `go run ./bench --peers` measures beside FastCMS, into a
# cache directory so that a second run installs nothing:
#
#   bench/peers/install.sh pocketbase     # PocketBase v0.36.8, built from the Go module proxy
#   bench/peers/install.sh postgraphile   # PostGraphile 4, from the npm registry
#   bench/peers/install.sh pgbench        # PostgreSQL's pgbench (the "floor")
#
# Each prints the path of the installed executable as its last line on
# stdout; progress goes to stderr. A non-zero exit means the peer is not
# available, and the benchmark skips it with the reason printed.
# FASTCMS_BENCH_CACHE overrides the cache ($HOME/.cache/fastcms-bench).
set -euo pipefail

cache="${FASTCMS_BENCH_CACHE:-$HOME/.cache/fastcms-bench}"
pocketbase_version="v0.36.8"
postgraphile_version="4"

log() { echo "install.sh: $*" >&2; }

pocketbase() {
	# -2: the main.go that reads FASTCMS_BENCH_PB_SYNCHRONOUS (a cache of the
	# one before it is not reused).
	local dir="$cache/pocketbase-$pocketbase_version-2"
	local bin="$dir/pocketbase"
	if [[ -x "$bin" ]]; then
		echo "$bin"
		return
	fi
	command -v go >/dev/null || { log "go is not on PATH"; return 1; }
	mkdir -p "$dir/src"
	# A module of its own, so FastCMS's go.mod is never touched.
	cat >"$dir/src/main.go" <<'GO'
// Command pocketbase is PocketBase with its defaults, for FastCMS's
// benchmark; FASTCMS_BENCH_PB_SYNCHRONOUS sets SQLite's synchronous pragma
// (FULL: every commit fsynced), the rest of the connection as PocketBase
// opens it.
package main

import (
	"log"
	"os"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase"
)

func main() {
	var cfg pocketbase.Config
	if sync := os.Getenv("FASTCMS_BENCH_PB_SYNCHRONOUS"); sync != "" {
		cfg.DBConnect = func(path string) (*dbx.DB, error) {
			return dbx.Open("sqlite", path+"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)"+
				"&_pragma=journal_size_limit(200000000)&_pragma=synchronous("+sync+")"+
				"&_pragma=foreign_keys(ON)&_pragma=temp_store(MEMORY)&_pragma=cache_size(-32000)")
		}
	}
	if err := pocketbase.NewWithConfig(cfg).Start(); err != nil {
		log.Fatal(err)
	}
}
GO
	cat >"$dir/src/go.mod" <<GOMOD
module fastcms-bench/pocketbase

go 1.24
GOMOD
	log "building PocketBase $pocketbase_version (a few minutes on first use)"
	(
		cd "$dir/src"
		export GOFLAGS=-mod=mod GOWORK=off
		go get "github.com/pocketbase/pocketbase@$pocketbase_version" >&2
		go mod tidy >&2
		CGO_ENABLED=0 go build -trimpath -o "$bin.tmp" . >&2
	)
	mv "$bin.tmp" "$bin"
	echo "$bin"
}

postgraphile() {
	local dir="$cache/postgraphile-$postgraphile_version"
	local bin="$dir/node_modules/.bin/postgraphile"
	if [[ -x "$bin" ]]; then
		echo "$bin"
		return
	fi
	if ! command -v npm >/dev/null || ! command -v node >/dev/null; then
		log "node and npm are missing: installing them with apt-get"
		apt-get install -y nodejs npm >&2 || { log "apt-get install nodejs npm failed"; return 1; }
	fi
	mkdir -p "$dir"
	log "installing postgraphile@$postgraphile_version with npm"
	(
		cd "$dir"
		[[ -f package.json ]] || echo '{"name": "fastcms-bench-postgraphile", "private": true}' >package.json
		npm install --no-audit --no-fund "postgraphile@$postgraphile_version" >&2
	)
	[[ -x "$bin" ]] || { log "npm finished but $bin is missing"; return 1; }
	echo "$bin"
}

pgbench() {
	local bin
	# type -P: the executable, not this function of the same name.
	if bin=$(type -P pgbench); then
		echo "$bin"
		return
	fi
	for bin in /usr/lib/postgresql/*/bin/pgbench; do
		if [[ -x "$bin" ]]; then
			echo "$bin"
			return
		fi
	done
	log "pgbench is missing: installing postgresql-contrib with apt-get"
	apt-get install -y postgresql-contrib >&2 || { log "apt-get install postgresql-contrib failed"; return 1; }
	type -P pgbench
}

case "${1:-}" in
pocketbase | postgraphile | pgbench) "$1" ;;
*)
	echo "usage: $0 pocketbase|postgraphile|pgbench" >&2
	exit 2
	;;
esac
