#!/usr/bin/env bash
# Runs Agentyard's whole test suite on a fresh Debian machine (as root), installing and starting
# what the tests need first: the Docker Engine and the agent image (scripts/setup-docker.sh), the
# pinned Claude Code CLI (scripts/install-claude.sh), the pinned Codex CLI (scripts/install-codex.sh), the web UI's npm packages, and (in scripts/e2e.sh,
# run last) Debian's chromium for the end-to-end test of the UI.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

say() { printf 'test.sh: %s\n' "$*"; }

say "dependencies behind crates.io (scripts/deps-report.sh: a report, never a failure)"
bash scripts/deps-report.sh || say "the dependency report could not run; going on"

bash scripts/setup-docker.sh
AGENTYARD_CLAUDE_BIN="$(bash scripts/install-claude.sh)"
export AGENTYARD_CLAUDE_BIN
say "claude CLI: $AGENTYARD_CLAUDE_BIN"
AGENTYARD_CODEX_BIN="$(bash scripts/install-codex.sh)"
export AGENTYARD_CODEX_BIN
say "codex CLI: $AGENTYARD_CODEX_BIN"

say "web UI: install, unit tests, build"
(cd web && npm ci --no-audit --no-fund && npm test && npm run build)

say "cargo fmt and clippy"
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings

say "cargo test"
cargo test --workspace --locked

say "web UI end to end in chromium (scripts/e2e.sh)"
bash scripts/e2e.sh
