#!/usr/bin/env bash
# The quick start's "run it" command: a local Kafka broker, atkafka in relay mode and an
# upstream (offline: recorded firehose frames replayed by a local relay; --live: the real
# network), printing events as they arrive in Kafka. Ctrl-C stops everything.
# Prints where it all runs, including atkafka's status page (http://127.0.0.1:2112/).
# Options: --live, --osprey, --duration N (seconds), --metrics-port N, --work-dir DIR.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ATKAFKA_SKIP_UPSTREAMS=1 ATKAFKA_SKIP_BROWSER=1 bash scripts/setup.sh
# shellcheck source=scripts/node-env.sh
source scripts/node-env.sh
exec node scripts/demo.ts "$@"
