#!/usr/bin/env bash
# Installs what `npm run test:image` needs (idempotent): Debian's podman (the OCI engine; no
# Docker engine here), runc (podman's default crun refuses hybrid cgroup hierarchies) and
# debootstrap (the local stand-in for node:24-slim, scripts/image/base.sh), and podman-compose
# from PyPI, pinned, into .cache/. Needs root and apt-get, as on CI.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
# shellcheck source=scripts/image/podman-env.sh
source scripts/image/podman-env.sh
# shellcheck source=scripts/apt-install.sh
source scripts/apt-install.sh
missing=()
command -v podman >/dev/null || missing+=(podman)
command -v runc >/dev/null || missing+=(runc)
command -v debootstrap >/dev/null || missing+=(debootstrap)
if [ ${#missing[@]} -gt 0 ]; then
  if ! apt_can_install; then
    echo "image-setup: ${missing[*]} missing and cannot be installed here (needs root and apt-get)" >&2
    exit 1
  fi
  for p in "${missing[@]}"; do apt_install image-setup "$p"; done
fi
if [ ! -f "$ATKAFKA_PODMAN_COMPOSE/.complete" ]; then
  echo "image-setup: pip install podman-compose==$ATKAFKA_PODMAN_COMPOSE_VERSION into $ATKAFKA_PODMAN_COMPOSE" >&2
  rm -rf "$ATKAFKA_PODMAN_COMPOSE"
  python3 -m pip install -q --disable-pip-version-check --no-warn-script-location \
    --target "$ATKAFKA_PODMAN_COMPOSE" "podman-compose==$ATKAFKA_PODMAN_COMPOSE_VERSION" >&2
  touch "$ATKAFKA_PODMAN_COMPOSE/.complete"
fi
