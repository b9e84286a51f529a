#!/usr/bin/env bash
# Installs the pinned Claude Code CLI for tests and local mode, and prints the absolute path of
# its native binary (set AGENTYARD_CLAUDE_BIN to it). Idempotent; see lib/install-pinned-cli.sh.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/install-pinned-cli.sh"

install_pinned_cli install-claude.sh "@anthropic-ai/claude-code" "2.1.332" claude \
    "node_modules/@anthropic-ai/claude-code-linux-x64/claude"
