#!/usr/bin/env bash
# Prints which dependencies of the workspace are behind their newest release on crates.io.
# Cargo's own resolver answers (`cargo update --dry-run --verbose` names each locked crate that has a
# newer release it will not take: "Unchanged bollard v0.19.4 (available: v0.21.1)"), so nothing is
# installed or compiled and Cargo.lock is left as it is.
# A report, never a verdict: being behind, or a registry that cannot be reached, never fails the run.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

say() { printf 'deps-report: %s\n' "$*"; }

if ! output="$(timeout 180 cargo update --dry-run --verbose 2>&1)"; then
    say "no report: crates.io could not be reached (or cargo failed); cargo said:"
    printf '%s\n' "$output" | tail -n 5 | sed 's/^/    /'
    exit 0
fi

# The crates the workspace names itself: keys of every [*dependencies] table of every Cargo.toml.
direct="$(find . -name Cargo.toml -not -path './target/*' -not -path './web/*' -exec awk '
    /^\[/ { in_deps = ($0 ~ /dependencies\]$/) ; next }
    in_deps && /^[A-Za-z0-9_-]+(\.workspace)? *=/ { sub(/[. ].*/, ""); print }
' {} + | sort -u)"

behind="$(printf '%s\n' "$output" | sed -n 's/^ *Unchanged \([^ ]*\) v\([^ ]*\) (available: v\([^)]*\))$/\1 \2 \3/p')"
compatible="$(printf '%s\n' "$output" | sed -n 's/^ *Updating \([^ ]*\) v\([^ ]*\) -> v\([^ ]*\)$/\1 \2 \3/p')"

report() {
    local title="$1" rows="$2" name locked newest shown=0 others=0
    while read -r name locked newest; do
        [ -n "$name" ] || continue
        if grep -qx -- "$name" <<<"$direct"; then
            [ "$shown" -eq 0 ] && say "$title"
            printf '    %-24s %-12s -> %s\n' "$name" "$locked" "$newest"
            shown=$((shown + 1))
        else
            others=$((others + 1))
        fi
    done <<<"$rows"
    [ "$shown" -eq 0 ] && say "$title none"
    [ "$others" -gt 0 ] && printf '    and %d further down the tree (cargo update --dry-run --verbose names them)\n' "$others"
    return 0
}

report "direct dependencies behind a newer major line (raise them in Cargo.toml, or say there why not):" "$behind"
report "compatible releases Cargo.lock does not have yet (cargo update):" "$compatible"
exit 0
