# shellcheck shell=bash
# Source this file: podman configured for this machine, for `podman` and for podman-compose
# alike (scripts/image/test.sh sources it). It writes a containers.conf and a storage.conf into
# .cache/podman/ and points CONTAINERS_CONF and CONTAINERS_STORAGE_CONF at them:
#   - runtime runc: podman's default runtime here, crun, refuses this machine's hybrid cgroup
#     hierarchy ("cgroups in hybrid mode not supported");
#   - ulimits: nofile at this shell's hard limit, nproc at 4096 (or the hard limit if lower):
#     the engine otherwise asks for higher ones, which the sandbox refuses ("error setting
#     rlimits ... operation not permitted"; nproc is refused from 65536 up even below the hard
#     limit), the same as `podman --runtime runc run --ulimit nofile=H:H --ulimit nproc=4096:4096`.
# BUILDAH_FORMAT=docker: podman builds OCI images by default, and the OCI format has no
# HEALTHCHECK; the Docker format keeps the Dockerfile's.
# Also exports ATKAFKA_PODMAN_COMPOSE (the directory podman-compose was pip-installed into by
# scripts/image/setup.sh; run it as `PYTHONPATH=$ATKAFKA_PODMAN_COMPOSE python3 -m podman_compose`).
_atkafka_image_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
ATKAFKA_CACHE="${ATKAFKA_CACHE:-$_atkafka_image_root/.cache}"
export ATKAFKA_CACHE
export ATKAFKA_PODMAN_COMPOSE_VERSION=1.6.0
export ATKAFKA_PODMAN_COMPOSE="$ATKAFKA_CACHE/podman-compose-$ATKAFKA_PODMAN_COMPOSE_VERSION"
_atkafka_nproc="$(ulimit -Hu)"
if [ "$_atkafka_nproc" = unlimited ] || [ "$_atkafka_nproc" -gt 4096 ]; then _atkafka_nproc=4096; fi
mkdir -p "$ATKAFKA_CACHE/podman"
cat >"$ATKAFKA_CACHE/podman/containers.conf" <<CONF
# written by scripts/image/podman-env.sh
[containers]
default_ulimits = ["nofile=$(ulimit -Hn):$(ulimit -Hn)", "nproc=$_atkafka_nproc:$_atkafka_nproc"]
[engine]
runtime = "runc"
CONF
export CONTAINERS_CONF="$ATKAFKA_CACHE/podman/containers.conf"
# the storage: overlay in podman's rootful default place (works here; vfs, the fallback, copies
# every layer in full). Pinned so a machine-wide storage.conf cannot switch it under the cache.
cat >"$ATKAFKA_CACHE/podman/storage.conf" <<CONF
# written by scripts/image/podman-env.sh
[storage]
driver = "overlay"
graphroot = "/var/lib/containers/storage"
runroot = "/run/containers/storage"
CONF
export CONTAINERS_STORAGE_CONF="$ATKAFKA_CACHE/podman/storage.conf"
export BUILDAH_FORMAT=docker
unset _atkafka_image_root _atkafka_nproc
