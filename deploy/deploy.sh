#!/usr/bin/env bash
# Deploy an image to this compose host with a rolling restart, and roll back when a service does
# not become healthy. Run from anywhere in the checkout on the host:
#   deploy/deploy.sh ghcr.io/OWNER/botfleet:SHA     deploy that image
#   deploy/deploy.sh --rollback                     go back to the image deployed before
# Steps: pull the image (unless it was built here), run the migration once (nothing is restarted if it fails), then replace
# the web process and each bot one at a time, waiting for its health check before the next. A
# stopped bot drains first: SIGTERM makes it save its buffered XP and close its connections
# before it leaves the gateway (compose.yaml gives it 60 s). On a failed health check every
# service already replaced goes back to the previous image. The schema is not downgraded:
# migrations must keep working with the previous release.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
compose=(docker compose --env-file "$here/../.env" -f "$here/compose.yaml")
# Which image is deployed, and which was before it (for --rollback).
state_dir=${DEPLOY_STATE_DIR:-${XDG_STATE_HOME:-$HOME/.local/state}/botfleet}
current_file="$state_dir/deployed-image"
previous_file="$state_dir/previous-image"
wait_timeout=${DEPLOY_WAIT_TIMEOUT:-180}
# Services that run botfleet and are replaced in turn (bots of disabled profiles are skipped).
fleet=(web grammar hangman spelling_bee mod utility music)

usage() {
    echo "usage: deploy/deploy.sh IMAGE | --rollback" >&2
    exit 2
}

enabled_services() {
    local enabled
    enabled=$("${compose[@]}" config --services)
    for service in "${fleet[@]}"; do
        if grep -qx "$service" <<<"$enabled"; then
            echo "$service"
        fi
    done
}

replace() {
    local image=$1 service=$2
    IMAGE=$image "${compose[@]}" up --detach --no-deps --wait --wait-timeout "$wait_timeout" \
        "$service"
}

roll_back() {
    local previous=$1
    shift
    if [[ -z $previous ]]; then
        echo "deploy: no previous image to roll back to" >&2
        return 1
    fi
    echo "deploy: rolling back $* to $previous" >&2
    for service in "$@"; do
        replace "$previous" "$service" || echo "deploy: $service is not healthy on $previous either" >&2
    done
}

[[ $# -eq 1 ]] || usage
previous=$(cat "$current_file" 2>/dev/null || true)
if [[ $1 == --rollback ]]; then
    image=$(cat "$previous_file" 2>/dev/null || true)
    [[ -n $image ]] || { echo "deploy: no previous deployment recorded" >&2; exit 1; }
else
    image=$1
fi

echo "deploy: $image (was ${previous:-nothing})"
# A registry image is pulled; one built on this host (docker build -t botfleet:TAG .) is used as is.
if ! docker image inspect "$image" >/dev/null 2>&1; then
    IMAGE=$image "${compose[@]}" pull --quiet
fi
IMAGE=$image "${compose[@]}" run --rm migrate

replaced=()
while read -r service; do
    replaced+=("$service")
    if ! replace "$image" "$service"; then
        echo "deploy: $service did not become healthy on $image" >&2
        roll_back "$previous" "${replaced[@]}"
        exit 1
    fi
    echo "deploy: $service healthy on $image"
done < <(enabled_services)

IMAGE=$image "${compose[@]}" up --detach --no-deps nginx
mkdir -p "$state_dir"
if [[ -n $previous && $previous != "$image" ]]; then
    echo "$previous" >"$previous_file"
fi
echo "$image" >"$current_file"
echo "deploy: done"
