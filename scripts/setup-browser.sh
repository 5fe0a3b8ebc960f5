#!/usr/bin/env bash
# Installs the headless browser of the status page's test (test/integration/status-page.test.ts):
# Debian's chromium, driven by playwright-core (which never downloads a browser of its own).
# Idempotent: nothing to do when /usr/bin/chromium exists. Needs root (apt-get), as on CI;
# elsewhere it says how to install it and carries on (only that test needs it).
# ATKAFKA_SKIP_BROWSER=1 skips it (the demo does).
set -euo pipefail
if [ -n "${ATKAFKA_SKIP_BROWSER:-}" ] || [ -x /usr/bin/chromium ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "setup-browser: /usr/bin/chromium is missing and cannot be installed here (needs root and apt-get);" \
    "install Debian's chromium package for the status page test" >&2
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
echo "setup-browser: apt-get install chromium" >&2
start=$SECONDS
# the package lists may be missing (fresh image) or stale (a version no longer on the mirror)
if ! apt-get install -y -q --no-install-recommends chromium >&2; then
  apt-get update -q >&2
  apt-get install -y -q --no-install-recommends chromium >&2
fi
echo "setup-browser: $(/usr/bin/chromium --version 2>/dev/null) installed in $((SECONDS - start)) s" >&2
