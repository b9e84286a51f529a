#!/usr/bin/env bash
# Installs the pinned Claude Code CLI for tests and local mode, and prints the absolute path of
# its native binary (set AGENTYARD_CLAUDE_BIN to it).
#
# Idempotent: an install of the pinned version is reused. The install goes to
# ${AGENTYARD_TOOLS:-<repo>/.tools}/claude, which git ignores.
set -euo pipefail

VERSION="2.1.332"
PACKAGE="@anthropic-ai/claude-code"
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="${AGENTYARD_TOOLS:-$REPO_ROOT/.tools}"
DIR="$TOOLS/claude"
# npm installs the platform's native binary as an optional dependency of the main package.
BINARY="$DIR/node_modules/@anthropic-ai/claude-code-linux-x64/claude"
MANIFEST="$DIR/node_modules/@anthropic-ai/claude-code/package.json"

installed_version() {
    [ -f "$MANIFEST" ] || return 0
    sed -n 's/^[[:space:]]*"version":[[:space:]]*"\([^"]*\)".*/\1/p' "$MANIFEST" | head -n 1
}

if [ "$(installed_version)" != "$VERSION" ] || [ ! -x "$BINARY" ]; then
    if ! command -v npm >/dev/null 2>&1; then
        echo "install-claude.sh: npm is not installed; install Node.js 22 or newer (with npm) and run this again" >&2
        exit 1
    fi
    mkdir -p "$DIR"
    echo "install-claude.sh: installing $PACKAGE@$VERSION into $DIR" >&2
    npm install --no-audit --no-fund --prefix "$DIR" "$PACKAGE@$VERSION" >&2
fi

if [ ! -x "$BINARY" ]; then
    echo "install-claude.sh: $PACKAGE@$VERSION is installed but $BINARY is missing;" \
        "this script supports linux-x64 only" >&2
    exit 1
fi

# Make the path absolute even when AGENTYARD_TOOLS was relative.
echo "$(cd "$(dirname "$BINARY")" && pwd)/$(basename "$BINARY")"
