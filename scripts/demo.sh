#!/usr/bin/env bash
# The quick start's "run it" command: a local Kafka broker, atkafka in relay mode and an
# upstream (offline: recorded firehose frames replayed by a local relay; --live: the real
# network), printing events as they arrive in Kafka. Ctrl-C stops everything.
# Options: --live, --osprey, --duration N (seconds).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ATKAFKA_SKIP_UPSTREAMS=1 bash scripts/setup.sh
# shellcheck source=scripts/node-env.sh
source scripts/node-env.sh
exec node scripts/demo.ts "$@"
