#!/usr/bin/env bash
# Runs atkafka's tests on Node 24 against a real Kafka broker (started and stopped by
# test/global-setup.ts). `--unit` runs only the unit tests (no broker). Extra arguments
# are passed to `node --test` (e.g. --test-name-pattern=relay).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh
# shellcheck source=scripts/node-env.sh
source scripts/node-env.sh

files=("test/unit/**/*.test.ts" "test/integration/**/*.test.ts")
if [ "${1:-}" = "--unit" ]; then
  shift
  files=("test/unit/**/*.test.ts")
  export ATKAFKA_TEST_NO_BROKER=1
fi
echo "test: node $(node --version), $(nproc) cores" >&2
exec node --test --test-global-setup=test/global-setup.ts --test-concurrency=2 \
  --test-timeout=300000 --test-reporter=spec "$@" "${files[@]}"
