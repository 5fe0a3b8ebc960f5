#!/usr/bin/env bash
# `npm run test:image`: builds atkafka's image from the Dockerfile as written (podman + runc; the
# base node:24-slim is the LOCAL STAND-IN made by scripts/image/base.sh, Docker Hub being out of
# reach) and runs test/image/*.test.ts against it: the real Kafka broker (test/global-setup.ts)
# and a local relay, on the host network; then the compose files through podman-compose.
# Installs what it needs (scripts/image/setup.sh: apt-get as root, as on CI). Exit 0 only when
# every test passed.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
start=$SECONDS
export ATKAFKA_IMAGE="${ATKAFKA_IMAGE:-localhost/atkafka:latest}"
# Node and the npm dependencies (the test runner), the broker's jars
bash scripts/setup.sh --node-only
bash scripts/kafka-broker.sh fetch
bash scripts/image/build.sh "$ATKAFKA_IMAGE"
# shellcheck source=scripts/node-env.sh
source scripts/node-env.sh
# shellcheck source=scripts/image/podman-env.sh
source scripts/image/podman-env.sh
echo "test:image: image ready after $((SECONDS - start)) s" >&2
status=0
node --test --test-global-setup=test/global-setup.ts --test-concurrency=1 \
  --test-timeout=600000 --test-reporter=spec "$@" test/image/*.test.ts || status=$?
echo "test:image: finished in $((SECONDS - start)) s (exit $status)" >&2
exit "$status"
