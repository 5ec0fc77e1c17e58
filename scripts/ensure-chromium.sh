#!/usr/bin/env bash
# Debian's Chromium, which the browser tests of internal/reference drive
# headless over the DevTools protocol (chromedp). Idempotent: installs the
# chromium package with apt-get only when no chromium binary is on PATH.
# The tests skip when the browser is missing and FASTCMS_BROWSER_TESTS is
# not set; scripts/test.sh sets it, so CI fails rather than skips.
set -euo pipefail
if command -v chromium >/dev/null || command -v chromium-browser >/dev/null; then
	exit 0
fi
sudo=""
if [ "$(id -u)" != 0 ]; then sudo=sudo; fi
$sudo apt-get update -qq
$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
