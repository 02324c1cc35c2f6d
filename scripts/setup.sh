#!/usr/bin/env bash
# Sets up everything `npm test` needs on a fresh Debian machine, offline except for the npm
# registry and Debian packages: npm dependencies, and the real-VS-Code test host
# (code-server + Debian's chromium). Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages (chromium, ripgrep, libkrb5-dev) are installed by setup-vscode-host.sh below.
echo "setup: npm ci"
npm ci --no-audit --no-fund

bash scripts/setup-vscode-host.sh
