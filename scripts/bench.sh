#!/usr/bin/env bash
# npm run bench -- <name> [args]: relay | tap | ozone | jetstream | labels | bytes | backfill (end to end, real broker) | decode | encode | enrich
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh >&2
# shellcheck source=scripts/node-env.sh
source scripts/node-env.sh
name="${1:-relay}"
shift || true
case "$name" in
  relay) npm run --silent build >&2 && exec node bench/relay-e2e.ts "$@" ;;
  tap) npm run --silent build >&2 && exec node bench/tap-e2e.ts "$@" ;;
  ozone) npm run --silent build >&2 && exec node bench/ozone-e2e.ts "$@" ;;
  jetstream) npm run --silent build >&2 && exec node bench/jetstream-e2e.ts "$@" ;;
  labels) npm run --silent build >&2 && exec node bench/labels-e2e.ts "$@" ;;
  bytes) npm run --silent build >&2 && exec node bench/bytes-e2e.ts "$@" ;;
  backfill) npm run --silent build >&2 && exec node bench/backfill-e2e.ts "$@" ;;
  decode) exec node bench/decode-frame.bench.ts "$@" ;;
  encode) exec node bench/encode.bench.ts "$@" ;;
  enrich) exec node --max-semi-space-size=8 --heap-growing-percent=150 --no-allocation-site-pretenuring bench/enrich.bench.ts "$@" ;;
  *) echo "usage: npm run bench -- relay|tap|ozone|jetstream|labels|bytes|backfill|decode|encode|enrich [args]" >&2; exit 2 ;;
esac
