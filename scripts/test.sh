#!/usr/bin/env bash
# The whole test suite: starts (or installs) PostgreSQL, then runs every
# package's tests with the race detector; installs node and the npm packages
# the GraphQL-over-HTTP audit test runs (scripts/ensure-node-tools.sh). Each test package gets its own
# database cloned from a migrated template (internal/pgtest).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/ensure-postgres.sh
scripts/ensure-node-tools.sh
go test -race -count=1 "$@" ./...
