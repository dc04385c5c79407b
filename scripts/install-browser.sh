#!/usr/bin/env bash
# Install Debian's Chromium and its driver for the browser tests (`make test` runs this).
#
# Playwright drives /usr/bin/chromium: `playwright install` would download its own browser, which
# CI machines cannot. Idempotent: does nothing when Chromium is already there. Where it cannot
# install (not root, no apt-get, or TT_SKIP_BROWSER=1) it says so and exits 0, so developers
# without root still run every other test; the browser tests skip themselves without Chromium.
set -euo pipefail

say() { echo "install-browser: $*"; }

if [[ "${TT_SKIP_BROWSER:-}" == 1 ]]; then
    say "TT_SKIP_BROWSER=1: not installing Chromium; browser tests will be skipped"
    exit 0
fi
if [[ -x /usr/bin/chromium && -x /usr/bin/chromedriver ]]; then
    say "Chromium already installed (/usr/bin/chromium)"
    exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
    say "no apt-get here: install Chromium at /usr/bin/chromium yourself to run the browser" \
        "tests; they are skipped without it"
    exit 0
fi
if [[ "$(id -u)" -ne 0 ]]; then
    say "not root: run 'sudo scripts/install-browser.sh' (or 'sudo apt-get install chromium" \
        "chromium-driver') to run the browser tests; they are skipped without Chromium"
    exit 0
fi

say "installing chromium and chromium-driver with apt-get"
export DEBIAN_FRONTEND=noninteractive
if ! { apt-get update -q && apt-get install -y -q chromium chromium-driver; }; then
    say "error: apt-get could not install chromium chromium-driver (see above); fix the apt" \
        "sources or network, or set TT_SKIP_BROWSER=1 to run the tests without the browser ones" >&2
    exit 1
fi
say "installed $(/usr/bin/chromium --version 2>/dev/null || echo chromium)"
