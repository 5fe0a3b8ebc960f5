# shellcheck shell=bash
# Source this file (scripts/setup-postgres.sh and scripts/setup-browser.sh do): installing the
# Debian package a test needs, only as root with apt-get, as on CI; elsewhere the caller says
# how to install it and carries on.

# apt_can_install: true when this shell may apt-get install (root, apt-get on PATH)
apt_can_install() {
  [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1
}

# apt_install WHO PACKAGE: apt-get install PACKAGE (noninteractive, no recommends), saying so
# as WHO; a failure ends the calling script (set -e)
apt_install() {
  local who="$1" package="$2"
  export DEBIAN_FRONTEND=noninteractive
  echo "$who: apt-get install $package" >&2
  # the package lists may be missing (fresh image) or stale (a version no longer on the mirror)
  if ! apt-get install -y -q --no-install-recommends "$package" >&2; then
    apt-get update -q >&2
    apt-get install -y -q --no-install-recommends "$package" >&2
  fi
}
