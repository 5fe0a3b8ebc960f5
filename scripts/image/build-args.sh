#!/usr/bin/env bash
# Prints the `podman build` options that let the Dockerfile's `npm ci` reach the npm registry
# from this machine, one per line (scripts/image/build.sh and the compose check use them).
# Where HTTPS goes through an intercepting proxy whose CA the host trusts (NODE_EXTRA_CA_CERTS,
# or npm's cafile), that CA file is mounted read-only into the build's RUN steps, with a global
# npmrc naming it: lent to the build, never written into a layer of the image. Elsewhere
# (no such CA) it prints nothing.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
ca="${NODE_EXTRA_CA_CERTS:-}"
if [ -z "$ca" ] && command -v npm >/dev/null; then
  ca="$(npm config get cafile 2>/dev/null || true)"
fi
case "$ca" in "" | null | undefined) exit 0 ;; esac
[ -f "$ca" ] || exit 0
cache="${ATKAFKA_CACHE:-$PWD/.cache}/podman"
mkdir -p "$cache"
printf 'cafile=/etc/ssl/certs/atkafka-build-ca.pem\n' >"$cache/build-npmrc"
# npm in the base image reads its global config from /usr/local/etc/npmrc
printf '%s\n' "--volume=$ca:/etc/ssl/certs/atkafka-build-ca.pem:ro" \
  "--volume=$cache/build-npmrc:/usr/local/etc/npmrc:ro"
