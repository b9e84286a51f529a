#!/usr/bin/env bash
# Builds the platform image `agentyard-platform` from a binary compiled on this machine, for
# machines where no Rust image can be pulled (docker/platform/Dockerfile, target `prebuilt`).
#
#   PROFILE=debug bash scripts/build-platform-image.sh   # reuse a debug build (faster, larger)
#   AGENTYARD_EXTRA_CA_FILE=/path/ca.pem                 # CAs to trust (TLS-inspecting proxy)
set -euo pipefail
cd "$(dirname "$0")/.."
profile="${PROFILE:-release}"
tag="${TAG:-agentyard-platform}"
# The bridge ships beside the platform: agents start it for the MCP tools and the model proxy.
if [[ $profile == release ]]; then
    cargo build --release --bin agentyard --bin agentyard-bridge
else
    cargo build --bin agentyard --bin agentyard-bridge
fi
context="$(mktemp -d /tmp/agentyard-platform.XXXXXX)"
trap 'rm -rf "$context"' EXIT
cp "target/$profile/agentyard" "target/$profile/agentyard-bridge" "$context/"
extra_ca=""
if [[ -n ${AGENTYARD_EXTRA_CA_FILE:-} ]]; then
    extra_ca="$(cat "$AGENTYARD_EXTRA_CA_FILE")"
elif compgen -G '/usr/local/share/ca-certificates/*.crt' >/dev/null; then
    extra_ca="$(cat /usr/local/share/ca-certificates/*.crt)"
fi
DOCKER_BUILDKIT=0 docker build \
    -f docker/platform/Dockerfile \
    --target prebuilt \
    --build-arg EXTRA_CA_CERTS="$extra_ca" \
    -t "$tag" "$context"
echo "built $tag; start it with: docker-compose up -d platform"
