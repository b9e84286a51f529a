#!/usr/bin/env bash
# The web UI's end-to-end test: builds the `agentyard` and `scripted-model` binaries (debug) and
# the UI, makes sure Debian's chromium and the pinned claude CLI are there, then runs
# web/e2e/run.mjs, which drives chromium through playwright-core against a real platform in local
# mode. Screenshots land in artifacts/screenshots/. It fails loudly when anything is missing;
# it never skips.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

say() { printf 'e2e.sh: %s\n' "$*"; }

# Debian's chromium (playwright-core never downloads a browser), and an emoji font so agent
# icons in the screenshots look as they do on a desktop.
if ! command -v chromium >/dev/null || ! dpkg -s fonts-noto-color-emoji >/dev/null 2>&1; then
    say "installing chromium and fonts-noto-color-emoji"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-color-emoji >/dev/null
fi
CHROMIUM_BIN="$(command -v chromium)"

if [ -z "${AGENTYARD_CLAUDE_BIN:-}" ]; then
    AGENTYARD_CLAUDE_BIN="$(bash scripts/install-claude.sh)"
fi
[ -x "$AGENTYARD_CLAUDE_BIN" ] || { say "no claude CLI at $AGENTYARD_CLAUDE_BIN: run scripts/install-claude.sh"; exit 1; }

if [ ! -d web/node_modules/playwright-core ]; then
    say "installing the UI's npm packages (playwright-core among them)"
    (cd web && npm ci --no-audit --no-fund)
fi

say "building the UI, then the binaries (which embed it)"
(cd web && npm run build)
cargo build --locked -p agentyard --bin agentyard -p scripted-model --bin scripted-model

target_dir="$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')"
export AGENTYARD_BIN="$target_dir/debug/agentyard"
export SCRIPTED_MODEL_BIN="$target_dir/debug/scripted-model"
export AGENTYARD_CLAUDE_BIN CHROMIUM_BIN

say "running web/e2e/run.mjs with $CHROMIUM_BIN"
node web/e2e/run.mjs
