#!/usr/bin/env bash
# Installs the offline real-VS-Code test host in test/vscode-host/ (code-server 4.100.3 +
# playwright-core driving Debian's chromium). Idempotent; needs only the npm registry and Debian
# packages. See test/vscode-host/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
HOST_DIR=test/vscode-host

need_apt=()
[ -x /usr/bin/chromium ] || need_apt+=(chromium)
command -v rg >/dev/null 2>&1 || need_apt+=(ripgrep)
dpkg -s libkrb5-dev >/dev/null 2>&1 || need_apt+=(libkrb5-dev)
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "setup-vscode-host: installing Debian packages: ${need_apt[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
  else
    echo "setup-vscode-host: install these Debian packages first (as root): apt-get install -y ${need_apt[*]}" >&2
    exit 1
  fi
fi

# @vscode/ripgrep (inside code-server's nested install) downloads rg from GitHub unless its
# download cache already holds the archive: put Debian's rg there.
tmp="${TMPDIR:-/tmp}"
cache="$tmp/vscode-ripgrep-cache-1.15.11"
archive="$cache/ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz"
if [ ! -s "$archive" ]; then
  mkdir -p "$cache"
  stage="$(mktemp -d)"
  cp "$(command -v rg)" "$stage/rg"
  tar -C "$stage" -czf "$archive" rg
  rm -rf "$stage"
  echo "setup-vscode-host: seeded $archive from $(command -v rg)"
fi

stamp="$HOST_DIR/node_modules/.aelab-installed"
if [ -f "$stamp" ] && [ "$stamp" -nt "$HOST_DIR/package-lock.json" ] && [ -x "$HOST_DIR/node_modules/.bin/code-server" ]; then
  echo "setup-vscode-host: test/vscode-host is up to date"
  exit 0
fi
echo "setup-vscode-host: npm ci in $HOST_DIR (70-110 s: native builds)"
( cd "$HOST_DIR" && npm ci --no-audit --no-fund )
touch "$stamp"
