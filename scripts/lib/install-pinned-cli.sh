# Sourced by install-claude.sh and install-codex.sh: installs one pinned npm CLI and prints the
# absolute path of its native binary.
#
#   install_pinned_cli SCRIPT PACKAGE VERSION DIRECTORY BINARY_IN_PREFIX
#
# Idempotent: an install of the pinned version is reused. The install goes to
# ${AGENTYARD_TOOLS:-<repo>/.tools}/DIRECTORY, which git ignores. npm installs the platform's
# native binary as an optional dependency of the main package; BINARY_IN_PREFIX is its path
# inside the install.
install_pinned_cli() {
    local script="$1" package="$2" version="$3" directory="$4" binary_in_prefix="$5"
    local repo_root tools dir binary manifest installed=""
    repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
    tools="${AGENTYARD_TOOLS:-$repo_root/.tools}"
    dir="$tools/$directory"
    binary="$dir/$binary_in_prefix"
    manifest="$dir/node_modules/$package/package.json"

    if [ -f "$manifest" ]; then
        installed="$(sed -n 's/^[[:space:]]*"version":[[:space:]]*"\([^"]*\)".*/\1/p' "$manifest" | head -n 1)"
    fi
    if [ "$installed" != "$version" ] || [ ! -x "$binary" ]; then
        if ! command -v npm >/dev/null 2>&1; then
            echo "$script: npm is not installed; install Node.js 22 or newer (with npm) and run this again" >&2
            exit 1
        fi
        mkdir -p "$dir"
        echo "$script: installing $package@$version into $dir" >&2
        npm install --no-audit --no-fund --prefix "$dir" "$package@$version" >&2
    fi

    if [ ! -x "$binary" ]; then
        echo "$script: $package@$version is installed but $binary is missing;" \
            "this script supports linux-x64 only" >&2
        exit 1
    fi

    # Make the path absolute even when AGENTYARD_TOOLS was relative.
    echo "$(cd "$(dirname "$binary")" && pwd)/$(basename "$binary")"
}
