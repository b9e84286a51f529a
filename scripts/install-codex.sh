#!/usr/bin/env bash
# Installs the pinned OpenAI Codex CLI for tests and local mode, and prints the absolute path of
# its native binary (set AGENTYARD_CODEX_BIN to it).
#
# Idempotent: an install of the pinned version is reused. The install goes to
# ${AGENTYARD_TOOLS:-<repo>/.tools}/codex, which git ignores.
set -euo pipefail

VERSION="0.171.0"
PACKAGE="@openai/codex"
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="${AGENTYARD_TOOLS:-$REPO_ROOT/.tools}"
DIR="$TOOLS/codex"
# npm installs the platform's native binary (a static musl build) as an optional dependency of the
# main package, aliased to @openai/codex-linux-x64.
BINARY="$DIR/node_modules/@openai/codex-linux-x64/vendor/x86_64-unknown-linux-musl/bin/codex"
MANIFEST="$DIR/node_modules/@openai/codex/package.json"

installed_version() {
    [ -f "$MANIFEST" ] || return 0
    sed -n 's/^[[:space:]]*"version":[[:space:]]*"\([^"]*\)".*/\1/p' "$MANIFEST" | head -n 1
}

if [ "$(installed_version)" != "$VERSION" ] || [ ! -x "$BINARY" ]; then
    if ! command -v npm >/dev/null 2>&1; then
        echo "install-codex.sh: npm is not installed; install Node.js 22 or newer (with npm) and run this again" >&2
        exit 1
    fi
    mkdir -p "$DIR"
    echo "install-codex.sh: installing $PACKAGE@$VERSION into $DIR" >&2
    npm install --no-audit --no-fund --prefix "$DIR" "$PACKAGE@$VERSION" >&2
fi

if [ ! -x "$BINARY" ]; then
    echo "install-codex.sh: $PACKAGE@$VERSION is installed but $BINARY is missing;" \
        "this script supports linux-x64 only" >&2
    exit 1
fi

# Make the path absolute even when AGENTYARD_TOOLS was relative.
echo "$(cd "$(dirname "$BINARY")" && pwd)/$(basename "$BINARY")"
