#!/usr/bin/env bash
# Rewrites web/src/api/generated/ from the Rust wire types (crates/server/src/wire.rs) with ts-rs.
# `cargo test` fails while the checked-in files differ from what the types give, so run this after
# changing a wire type and commit the result.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
AGENTYARD_WRITE_WIRE_TYPES=1 cargo test -p server --lib wire::typescript
