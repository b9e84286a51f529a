#!/usr/bin/env bash
# Installs the pinned OpenAI Codex CLI for tests and local mode, and prints the absolute path of
# its native binary (set AGENTYARD_CODEX_BIN to it). Idempotent; see lib/install-pinned-cli.sh.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/install-pinned-cli.sh"

# The native binary is a static musl build, aliased to @openai/codex-linux-x64.
install_pinned_cli install-codex.sh "@openai/codex" "0.171.0" codex \
    "node_modules/@openai/codex-linux-x64/vendor/x86_64-unknown-linux-musl/bin/codex"
