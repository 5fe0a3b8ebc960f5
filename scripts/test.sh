#!/usr/bin/env bash
# Runs atkafka's tests on Node 24 against a real Kafka broker (started and stopped by
# test/global-setup.ts).
#   bash scripts/test.sh                  every test (what `npm test` and CI run)
#   bash scripts/test.sh --unit           the unit tests only: Node and `npm ci`, no broker, no upstreams
#   bash scripts/test.sh FILE.test.ts...  those files only (no broker when they are all unit tests)
# Other arguments go to `node --test` (e.g. --test-name-pattern=relay).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

files=()
args=()
unit_only=1
for a in "$@"; do
  case "$a" in
    --unit) files+=("test/unit/**/*.test.ts") ;;
    *.ts)
      files+=("$a")
      [[ "$a" == test/unit/* ]] || unit_only=0
      ;;
    *) args+=("$a") ;;
  esac
done
if [ ${#files[@]} -eq 0 ]; then
  files=("test/unit/**/*.test.ts" "test/integration/**/*.test.ts")
  unit_only=0
fi

if [ "$unit_only" = 1 ]; then
  bash scripts/setup.sh --node-only
  export ATKAFKA_TEST_NO_BROKER=1
else
  bash scripts/setup.sh
fi
# shellcheck source=scripts/node-env.sh
source scripts/node-env.sh
echo "test: node $(node --version), $(nproc) cores" >&2
exec node --test --test-global-setup=test/global-setup.ts --test-concurrency=2 --test-force-exit \
  --test-timeout=300000 --test-reporter=spec "${args[@]}" "${files[@]}"
