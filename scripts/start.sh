#!/usr/bin/env bash
# Builds and starts Agentyard on a fresh Debian machine (as root): the Docker Engine and the
# default agent image, the web UI, then `agentyard serve` on the embedded SQLite database.
# Extra arguments go to `agentyard serve` (see `agentyard serve --help`); so do the variables of
# README's configuration table. With AGENT_MODE=local no Docker is needed at all.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if [[ ${AGENT_MODE:-docker} == docker ]]; then
    bash scripts/setup-docker.sh
fi
(cd web && npm ci --no-audit --no-fund && npm run build)
cargo build --release --locked --bin agentyard --bin agentyard-bridge
exec target/release/agentyard serve "$@"
