#!/usr/bin/env bash
# Installs PostgreSQL for the Ozone tests (test/integration/ozone-*.test.ts run a real Ozone,
# which keeps its moderation events in Postgres): Debian's `postgresql` package. Only its
# binaries are used: scripts/pg-cluster.sh runs a throwaway cluster per test run (initdb in a
# temp dir, a free port, an unprivileged user); the package's own system cluster is not used.
# Idempotent: nothing to do when initdb and postgres are found. Needs root (apt-get), as on
# CI; elsewhere it says how to install it and carries on (only the Ozone tests need it).
# ATKAFKA_SKIP_POSTGRES=1 skips it.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
if [ -n "${ATKAFKA_SKIP_POSTGRES:-}" ] || bash scripts/pg-cluster.sh bindir >/dev/null 2>&1; then
  exit 0
fi
# shellcheck source=scripts/apt-install.sh
source scripts/apt-install.sh
if ! apt_can_install; then
  echo "setup-postgres: PostgreSQL's initdb/postgres are missing and cannot be installed here" \
    "(needs root and apt-get); install Debian's postgresql package for the Ozone tests" >&2
  exit 0
fi
start=$SECONDS
apt_install setup-postgres postgresql
echo "setup-postgres: $("$(bash scripts/pg-cluster.sh bindir)/postgres" --version) installed in $((SECONDS - start)) s" >&2
