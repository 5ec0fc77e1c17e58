#!/usr/bin/env bash
# Fails when schema.graphqls and the committed gqlgen output disagree.
set -euo pipefail
cd "$(dirname "$0")/.."
go tool gqlgen generate
if ! git diff --quiet -- graph resolvers; then
  echo "gqlgen output is stale: run 'go tool gqlgen generate' and commit" >&2
  git --no-pager diff --stat -- graph resolvers >&2
  exit 1
fi
