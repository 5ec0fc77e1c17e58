#!/usr/bin/env bash
# Node and the npm packages the test suite runs (graphql-http's audit of
# the GraphQL-over-HTTP spec, graph/testdata/audit.mjs). Idempotent: installs
# node and npm with apt-get when missing, and the pinned packages into
# FASTCMS_NPM_DIR (default ~/.cache/fastcms-npm) when not there yet. The
# tests find the packages through NODE_PATH, or in the default directory.
set -euo pipefail
dir="${FASTCMS_NPM_DIR:-$HOME/.cache/fastcms-npm}"
graphql_http_version=1.23.1
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
	sudo=""
	if [ "$(id -u)" != 0 ]; then sudo=sudo; fi
	$sudo apt-get update -qq
	$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
fi
have="$(node -p "require('$dir/node_modules/graphql-http/package.json').version" 2>/dev/null || true)"
if [ "$have" != "$graphql_http_version" ]; then
	mkdir -p "$dir"
	npm install --prefix "$dir" --no-save --no-audit --no-fund --silent "graphql-http@$graphql_http_version" >/dev/null
fi
