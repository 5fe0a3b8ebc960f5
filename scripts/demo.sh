#!/usr/bin/env bash
# The quick start's "run it" command: a local Kafka broker, atkafka, and an upstream.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh
# shellcheck source=scripts/node-env.sh
source scripts/node-env.sh
work="$PWD/.demo/kafka"
mkdir -p "$work"
bash scripts/kafka-broker.sh start "$work" "$$"
trap 'bash scripts/kafka-broker.sh stop "$work"' EXIT
# shellcheck disable=SC1091
. "$work/env"
echo "demo: broker at $KAFKA_BOOTSTRAP; atkafka:"
node bin/atkafka.js --help
