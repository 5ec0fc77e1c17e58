#!/usr/bin/env bash
# The whole test suite: starts (or installs) PostgreSQL, then runs every
# package's tests with the race detector. It first installs what tests run
# beside the server: node and the npm packages of the GraphQL-over-HTTP
# audit (scripts/ensure-node-tools.sh) and versitygw, the S3 server of the
# storage tests (scripts/ensure-versitygw.sh, built once from the Go module
# proxy), and Debian's chromium for the browser tests
# (scripts/ensure-chromium.sh), so a fresh machine runs every test. Each test package gets its
# own database cloned from a migrated template (internal/pgtest).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/ensure-postgres.sh
scripts/ensure-node-tools.sh
scripts/ensure-versitygw.sh >/dev/null
# Debian's chromium for the browser tests of internal/reference, which
# fail rather than skip when it is missing.
scripts/ensure-chromium.sh
export FASTCMS_BROWSER_TESTS=1
# One package at a time (-p 1): each package's end-to-end tests run
# servers in parallel, and two such packages at once can pass PostgreSQL's
# default of 100 connections.
go test -race -count=1 -p 1 "$@" ./...
