#!/usr/bin/env bash
# Builds the playground's assets (internal/reference/assets/playground.js
# and playground.css) from internal/reference/playground/src/main.jsx: the
# pinned npm packages below are installed from the npm registry into a
# temporary directory and bundled and minified with esbuild. The output is
# committed and embedded in the server, so neither the server nor a browser
# that opens /playground needs the network. Run it after changing the
# entry file or a version, then commit the assets.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="$root/internal/reference/assets"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
cat >package.json <<'JSON'
{
  "private": true,
  "dependencies": {
    "esbuild": "0.25.9",
    "graphiql": "3.8.3",
    "graphql": "16.11.0",
    "graphql-ws": "5.16.2",
    "react": "18.3.1",
    "react-dom": "18.3.1"
  }
}
JSON
npm install --no-audit --no-fund --silent
cp "$root/internal/reference/playground/src/main.jsx" main.jsx
npx esbuild main.jsx --bundle --minify --format=iife --target=es2020 \
	--define:process.env.NODE_ENV='"production"' --legal-comments=linked \
	--loader:.woff=dataurl --loader:.woff2=dataurl --loader:.svg=dataurl \
	--outfile=playground.js
mkdir -p "$out"
cp playground.js "$out/playground.js"
cp playground.css "$out/playground.css"
cat playground.js.LEGAL.txt playground.css.LEGAL.txt >"$out/playground.LICENSES.txt" 2>/dev/null || true
ls -l "$out"
