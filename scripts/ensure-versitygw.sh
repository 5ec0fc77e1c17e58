#!/usr/bin/env bash
# Prints the path of a versitygw v1.8.0 binary, the S3 server the S3
# storage tests run (internal/s3test), building it on first use from the
# Go module proxy into $(go env GOPATH)/fastcms-tools.
set -euo pipefail
version=v1.8.0
dir="$(go env GOPATH)/fastcms-tools/versitygw-$version"
if [ ! -x "$dir/versitygw" ]; then
  mkdir -p "$dir"
  GOBIN="$dir" go install "github.com/versity/versitygw/cmd/versitygw@$version" >&2
fi
echo "$dir/versitygw"
