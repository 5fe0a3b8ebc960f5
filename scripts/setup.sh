#!/usr/bin/env bash
# Installs what atkafka's build, tests and demo need into the repo (idempotent, cached):
# Node >= 22 (scripts/node-env.sh), npm dependencies, the Kafka broker jars, the test upstreams
# (scripts/setup-upstreams.sh), PostgreSQL for the Ozone tests (scripts/setup-postgres.sh) and the
# status page test's browser (scripts/setup-browser.sh).
# --node-only: Node and the npm dependencies, all that the unit tests need.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/node-env.sh
source scripts/node-env.sh

# npm ci when node_modules is missing, older than the lockfile, or built by another Node
stamp=node_modules/.atkafka-installed
want="node $(node --version) lock $(sha1sum package-lock.json | cut -c1-12)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "setup: npm ci ($want)" >&2
  npm ci --no-audit --no-fund --loglevel=error >&2
  echo "$want" >"$stamp"
fi
[ "${1:-}" = "--node-only" ] && exit 0
bash scripts/kafka-broker.sh fetch
bash scripts/setup-upstreams.sh
bash scripts/setup-postgres.sh
bash scripts/setup-browser.sh
