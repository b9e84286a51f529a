#!/usr/bin/env bash
# Prepares a Debian machine to run Agentyard in docker mode, and is safe to run again.
#
#   1. installs docker.io, debootstrap, git and docker-compose when missing (apt-get update once);
#   2. starts the Docker Engine when it does not answer, and waits for it;
#   3. makes the base image `debian:bookworm-slim` with debootstrap and `docker import` (no image
#      registry is needed; AGENTYARD_PULL_BASE=1 pulls it instead where one answers);
#   4. builds `claude-agent-base` from docker/agent/base, unless an image built from the same
#      Dockerfile is already there (label agentyard.dockerfile-sha);
#   5. builds the stacks `claude-agent-{node,python,browser}` from their directories on top of it,
#      each unless built already from the same Dockerfile and the same base image (same label).
#      Flutter is not built here: its SDK download needs a host this machine may not reach (README).
#
# Run as root. Environment knobs:
#   AGENTYARD_REBUILD=1       build claude-agent-base and the stacks even when they look up to date
#   AGENTYARD_STACKS          the stacks to build (default "node python browser"; "" builds none)
#   AGENTYARD_DEBIAN_MIRROR   mirror for debootstrap (default http://deb.debian.org/debian)
#   AGENTYARD_EXTRA_CA_FILE   PEM file of extra CAs to trust in the image (default: the
#                             *.crt files in /usr/local/share/ca-certificates, if any)
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
base_image="debian:bookworm-slim"
agent_image="claude-agent-base"
agent_dir="$repo_root/docker/agent/base"
dockerd_log="/var/log/agentyard-dockerd.log"
mirror="${AGENTYARD_DEBIAN_MIRROR:-http://deb.debian.org/debian}"

say() { printf 'setup-docker: %s\n' "$*"; }
fail() {
    printf 'setup-docker: error: %s\n' "$*" >&2
    exit 1
}

# --- 1. packages -------------------------------------------------------------------------------
# The engine is what docker mode needs, not the client: these machines can ship a `docker` client
# on the PATH with no engine behind it. A reachable DOCKER_HOST (a remote or rootless engine)
# counts as an engine; otherwise `dockerd` must be installed.
engine_present() {
    if [[ -n ${DOCKER_HOST:-} ]] && command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; then
        return 0
    fi
    command -v dockerd >/dev/null 2>&1 && command -v docker >/dev/null 2>&1
}
# AGENTYARD_SETUP_DECIDE_ONLY=1 prints the packages this machine lacks and stops: the test of this
# decision runs it with a PATH of stubs.
missing=()
engine_present || missing+=(docker.io)
command -v debootstrap >/dev/null 2>&1 || missing+=(debootstrap)
command -v git >/dev/null 2>&1 || missing+=(git)
command -v docker-compose >/dev/null 2>&1 || missing+=(docker-compose)
if [[ ${AGENTYARD_SETUP_DECIDE_ONLY:-0} == 1 ]]; then
    printf '%s\n' "${missing[@]}"
    exit 0
fi
if ((${#missing[@]} > 0)); then
    [[ $(id -u) -eq 0 ]] || fail "missing ${missing[*]}; run this script as root to install them"
    say "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
    say "packages present (dockerd, docker, debootstrap, git, docker-compose)"
fi

# --- 2. the engine -----------------------------------------------------------------------------
if docker info >/dev/null 2>&1; then
    say "Docker Engine answers"
else
    if [[ -d /run/systemd/system ]] && command -v systemctl >/dev/null 2>&1; then
        say "starting the Docker Engine with systemctl"
        systemctl start docker || true
    else
        [[ $(id -u) -eq 0 ]] || fail "the Docker Engine is not running; run this script as root to start it"
        say "starting dockerd in the background (log: $dockerd_log)"
        nohup dockerd >>"$dockerd_log" 2>&1 &
    fi
    for _ in $(seq 60); do
        docker info >/dev/null 2>&1 && break
        sleep 1
    done
    docker info >/dev/null 2>&1 ||
        fail "the Docker Engine did not answer within 60 s; see $dockerd_log (or journalctl -u docker)"
    say "Docker Engine answers"
fi

# --- 3. the Debian base image ------------------------------------------------------------------
if docker image inspect "$base_image" >/dev/null 2>&1; then
    say "$base_image present"
else
    pulled=no
    # Pulling is opt-in: on machines without an image registry a pull only hangs until it times out.
    if [[ ${AGENTYARD_PULL_BASE:-0} == 1 ]]; then
        say "pulling $base_image"
        timeout 300 docker pull -q "$base_image" >/dev/null && pulled=yes || say "pull failed; falling back to debootstrap"
    else
        say "making $base_image with debootstrap (AGENTYARD_PULL_BASE=1 pulls it from a registry instead)"
    fi
    if [[ $pulled == no ]]; then
        [[ $(id -u) -eq 0 ]] || fail "debootstrap needs root; run this script as root"
        rootfs="$(mktemp -d /tmp/agentyard-rootfs.XXXXXX)"
        trap 'rm -rf "$rootfs"' EXIT
        say "debootstrap --variant=minbase bookworm ($mirror)"
        debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >/dev/null ||
            fail "debootstrap failed; check that $mirror is reachable (AGENTYARD_DEBIAN_MIRROR picks another)"
        # The downloaded packages and lists are only weight: every Dockerfile runs apt-get update.
        rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
        say "importing the root filesystem as $base_image"
        tar -C "$rootfs" -c . | docker import - "$base_image" >/dev/null
        rm -rf "$rootfs"
        trap - EXIT
    fi
    say "$base_image ready"
fi

# --- 4. the default agent image ----------------------------------------------------------------
dockerfile_sha="$(sha256sum "$agent_dir/Dockerfile" | cut -d' ' -f1)"
built_sha="$(docker image inspect -f '{{ index .Config.Labels "agentyard.dockerfile-sha" }}' "$agent_image" 2>/dev/null || true)"
if [[ $built_sha == "$dockerfile_sha" && ${AGENTYARD_REBUILD:-0} != 1 ]]; then
    say "$agent_image is up to date (Dockerfile sha ${dockerfile_sha:0:12})"
else
    extra_ca=""
    if [[ -n ${AGENTYARD_EXTRA_CA_FILE:-} ]]; then
        extra_ca="$(cat "$AGENTYARD_EXTRA_CA_FILE")"
    elif compgen -G '/usr/local/share/ca-certificates/*.crt' >/dev/null; then
        extra_ca="$(cat /usr/local/share/ca-certificates/*.crt)"
        say "the image will trust this machine's extra CAs (/usr/local/share/ca-certificates)"
    fi
    build_log="$(mktemp /tmp/agentyard-build.XXXXXX.log)"
    say "building $agent_image from docker/agent/base (log: $build_log)"
    if ! DOCKER_BUILDKIT=0 docker build \
        --build-arg BASE_IMAGE="$base_image" \
        --build-arg EXTRA_CA_CERTS="$extra_ca" \
        --label "agentyard.dockerfile-sha=$dockerfile_sha" \
        -t "$agent_image" "$agent_dir" >"$build_log" 2>&1; then
        tail -n 30 "$build_log" >&2
        fail "building $agent_image failed; the full log is $build_log"
    fi
    rm -f "$build_log"
    say "$agent_image built ($(docker run --rm "$agent_image" claude --version))"
fi

# --- 5. the stack images -----------------------------------------------------------------------
# Each stack's label is the sha of its Dockerfile and of the base image's id, so a rebuilt base
# rebuilds the stacks on the next run, and an unchanged pair is left alone.
base_id="$(docker image inspect -f '{{ .Id }}' "$agent_image")"
for stack in ${AGENTYARD_STACKS-node python browser}; do
    stack_image="claude-agent-$stack"
    stack_dir="$repo_root/docker/agent/$stack"
    [[ -f $stack_dir/Dockerfile ]] || fail "no Dockerfile for stack $stack in docker/agent/$stack"
    stack_sha="$( (cat "$stack_dir/Dockerfile"; printf '%s' "$base_id") | sha256sum | cut -d' ' -f1)"
    built_sha="$(docker image inspect -f '{{ index .Config.Labels "agentyard.dockerfile-sha" }}' "$stack_image" 2>/dev/null || true)"
    if [[ $built_sha == "$stack_sha" && ${AGENTYARD_REBUILD:-0} != 1 ]]; then
        say "$stack_image is up to date (sha ${stack_sha:0:12})"
        continue
    fi
    build_log="$(mktemp /tmp/agentyard-build.XXXXXX.log)"
    say "building $stack_image from docker/agent/$stack (log: $build_log)"
    if ! DOCKER_BUILDKIT=0 docker build \
        --build-arg BASE_IMAGE="$agent_image" \
        --label "agentyard.dockerfile-sha=$stack_sha" \
        -t "$stack_image" "$stack_dir" >"$build_log" 2>&1; then
        tail -n 30 "$build_log" >&2
        fail "building $stack_image failed; the full log is $build_log"
    fi
    rm -f "$build_log"
    say "$stack_image built"
done
say "done"
