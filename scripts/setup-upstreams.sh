#!/usr/bin/env bash
# Installs the real upstreams that atkafka's integration tests start (idempotent, cached):
#   - test/upstreams/pds: a local PLC + PDS (@did-plc/server, @atproto/pds) as a separate npm
#     package, `npm ci` from its committed lockfile; better-sqlite3 compiles from source against
#     Node's headers (npm_config_nodedir from scripts/node-env.sh). ~1.5-2 min cold.
#   - test/upstreams/ozone: a real Ozone moderation service (@atproto/ozone, on PostgreSQL from
#     scripts/setup-postgres.sh), likewise a separate npm package with a committed lockfile;
#     no native modules. ~30 s cold.
#   - Tap (bluesky-social/indigo cmd/tap) at a pinned revision, `go install`ed with cgo (SQLite)
#     into .cache/go/bin/tap; GOPATH, GOCACHE and GOMODCACHE all live under .cache/go. ~2 min cold.
# Everything lands in .cache/ or test/upstreams/*/node_modules (git-ignored).
# ATKAFKA_SKIP_UPSTREAMS=1 skips it all.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
if [ -n "${ATKAFKA_SKIP_UPSTREAMS:-}" ]; then
  echo "setup-upstreams: skipped (ATKAFKA_SKIP_UPSTREAMS)" >&2
  exit 0
fi
# shellcheck source=scripts/node-env.sh
source scripts/node-env.sh

# indigo has no semver tags (its tap-vX.Y.Z tags are not served by the Go module proxy here),
# so the pin is a pseudo-version: main @ 4b983a7e (2026-08-18, "update specific subset of
# deps"), whose cmd/tap matches tap-v0.1.10 (4f47add4) but for cosmetic changes.
TAP_MODULE=github.com/bluesky-social/indigo
TAP_VERSION=v0.0.0-20260818202247-4b983a7e86c8

mkdir -p "$ATKAFKA_CACHE"
# two setups at once (parallel test runs) must not race on npm ci / go install
exec 9>"$ATKAFKA_CACHE/setup-upstreams.lock"
flock 9

# npm ci in an upstream's package folder when its node_modules is missing, older than its
# lockfile, or built by another Node
npm_ci_upstream() {
  local dir="$1" what="$2"
  local stamp="$dir/node_modules/.atkafka-installed"
  local want start
  want="node $(node --version) lock $(sha1sum "$dir/package-lock.json" | cut -c1-12)"
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    echo "setup-upstreams: npm ci in $dir ($want)" >&2
    start=$SECONDS
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
    echo "$want" >"$stamp"
    echo "setup-upstreams: $what dependencies installed in $((SECONDS - start)) s" >&2
  fi
}

# --- local PLC + PDS -----------------------------------------------------------------------
npm_ci_upstream test/upstreams/pds PDS

# --- Ozone -------------------------------------------------------------------------------------
npm_ci_upstream test/upstreams/ozone Ozone

# --- Tap --------------------------------------------------------------------------------------
if ! command -v go >/dev/null 2>&1 && [ -x /usr/local/go/bin/go ]; then
  export PATH="$PATH:/usr/local/go/bin"
fi
if ! command -v go >/dev/null 2>&1; then
  echo "setup-upstreams: the go command is needed to build Tap (Go >= 1.26)" >&2
  exit 1
fi
export GOPATH="$ATKAFKA_CACHE/go"
export GOBIN="$GOPATH/bin"
export GOCACHE="$GOPATH/cache"
export GOMODCACHE="$GOPATH/pkg/mod"
export CGO_ENABLED=1 # mattn/go-sqlite3: a cgo-less build compiles but cannot open SQLite
# a writable module cache, so that `rm -rf .cache` works
export GOFLAGS="${GOFLAGS:+$GOFLAGS }-modcacherw"
tap_bin="$GOBIN/tap"
tap_stamp="$GOBIN/.tap-installed"
want="tap $TAP_MODULE@$TAP_VERSION $(go env GOVERSION)"
if [ ! -x "$tap_bin" ] || [ ! -f "$tap_stamp" ] || [ "$(cat "$tap_stamp")" != "$want" ] ||
  ! "$tap_bin" --version 2>/dev/null | grep -qF "$TAP_VERSION"; then
  echo "setup-upstreams: go install $TAP_MODULE/cmd/tap@$TAP_VERSION" >&2
  start=$SECONDS
  rm -f "$tap_stamp"
  (cd "$ATKAFKA_CACHE" && go install "$TAP_MODULE/cmd/tap@$TAP_VERSION")
  "$tap_bin" --version >/dev/null
  echo "$want" >"$tap_stamp"
  echo "setup-upstreams: Tap built in $((SECONDS - start)) s ($tap_bin)" >&2
fi
