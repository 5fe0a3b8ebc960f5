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
# shellcheck source=scripts/apt-install.sh
source "$(dirname "${BASH_SOURCE[0]}")/apt-install.sh"
if ! apt_can_install; then
  echo "setup-browser: /usr/bin/chromium is missing and cannot be installed here (needs root and apt-get);" \
    "install Debian's chromium package for the status page test" >&2
  exit 0
fi
start=$SECONDS
apt_install setup-browser chromium
echo "setup-browser: $(/usr/bin/chromium --version 2>/dev/null) installed in $((SECONDS - start)) s" >&2
