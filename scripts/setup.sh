#!/usr/bin/env bash
# Sets up everything `npm test` needs on a fresh Debian machine, offline except for the npm
# registry and Debian packages: npm dependencies, and the real-VS-Code test host
# (code-server + Debian's chromium). Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
command -v rg >/dev/null 2>&1 || need_apt+=(ripgrep)
dpkg -s libkrb5-dev >/dev/null 2>&1 || need_apt+=(libkrb5-dev)
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "setup: installing Debian packages: ${need_apt[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
  else
    echo "setup: please install these Debian packages first (as root): apt-get install -y ${need_apt[*]}" >&2
    exit 1
  fi
fi

echo "setup: npm ci"
npm ci --no-audit --no-fund

if [ -f scripts/setup-vscode-host.sh ]; then
  bash scripts/setup-vscode-host.sh
fi
