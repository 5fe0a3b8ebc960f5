#!/usr/bin/env bash
# Builds atkafka's image with podman from the Dockerfile as written (unchanged):
#   bash scripts/image/build.sh [TAG]        default TAG: localhost/atkafka:latest
# Its base, node:24-slim, is the LOCAL STAND-IN made by scripts/image/base.sh (Docker Hub cannot
# be reached here), so the build never pulls (--pull=never). Prints the image's size.
# Layers are cached in podman's storage: a rebuild with unchanged sources takes seconds.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
tag="${1:-localhost/atkafka:latest}"
bash scripts/image/setup.sh
bash scripts/image/base.sh
# shellcheck source=scripts/image/podman-env.sh
source scripts/image/podman-env.sh
start=$SECONDS
# shellcheck disable=SC2046 # one word per line
podman build --pull=never --format docker $(bash scripts/image/build-args.sh) -f Dockerfile -t "$tag" . >&2
# the build cache (intermediate images of earlier builds) is kept for a day, then dropped
podman image prune --force --filter until=24h >/dev/null
size="$(podman image inspect --format '{{.Size}}' "$tag")"
echo "image-build: $tag built in $((SECONDS - start)) s, $((size / 1000000)) MB ($size bytes; base: the local stand-in for node:24-slim)" >&2
