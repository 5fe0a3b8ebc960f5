#!/usr/bin/env bash
# Prints the `podman build` options that let the Dockerfile's `npm ci` reach the npm registry
# from this machine, one per line (scripts/image/build.sh and the compose check use them).
# Where HTTPS goes through an intercepting proxy whose CA the host trusts (NODE_EXTRA_CA_CERTS,
# npm's cafile, SSL_CERT_FILE, else the host's CA bundle), that CA file is mounted read-only into the build's RUN steps, with a global
# npmrc naming it: lent to the build, never written into a layer of the image. Elsewhere
# (no CA file at all) it prints nothing.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
ca="${NODE_EXTRA_CA_CERTS:-}"
if [ -z "$ca" ] && command -v npm >/dev/null; then
  ca="$(npm config get cafile 2>/dev/null || true)"
fi
case "$ca" in "" | null | undefined) ca="${SSL_CERT_FILE:-}" ;; esac
# a clean environment (env -i, a service manager) has none of those variables: the host's own
# bundle (Debian's), which holds whatever CA the host trusts, intercepting proxies' included
if [ -z "$ca" ] && [ -f /etc/ssl/certs/ca-certificates.crt ]; then ca=/etc/ssl/certs/ca-certificates.crt; fi
[ -n "$ca" ] || exit 0
[ -f "$ca" ] || exit 0
cache="${ATKAFKA_CACHE:-$PWD/.cache}/podman"
mkdir -p "$cache"
printf 'cafile=/etc/ssl/certs/atkafka-build-ca.pem\n' >"$cache/build-npmrc"
# npm in the base image reads its global config from /usr/local/etc/npmrc
printf '%s\n' "--volume=$ca:/etc/ssl/certs/atkafka-build-ca.pem:ro" \
  "--volume=$cache/build-npmrc:/usr/local/etc/npmrc:ro"
