#!/usr/bin/env bash
# Regenerate requirements.lock: the production install's every package, pinned == to the
# versions in constraints.txt and locked with the hashes of its files on the package index.
# The Docker image and `make install-production` install it with pip's --require-hashes.
# Run after a change to pyproject.toml's dependencies or to constraints.txt:
#   scripts/lock.sh
set -euo pipefail
cd "$(dirname "$0")/.."

# The extras a production fleet runs (the Dockerfile's image): no test tools, no browser.
PRODUCTION_EXTRAS=(postgres redis sentry music ai grammar mod web payments bus)
UV_VERSION=0.13.9

tools=$(mktemp -d)
trap 'rm -rf "$tools"' EXIT
python3 -m venv "$tools/venv"
"$tools/venv/bin/pip" install --quiet "uv==$UV_VERSION"
# What pip needs to build botfleet itself without build isolation (pyproject's build-system).
build_requires=$("$tools/venv/bin/python" -c 'import tomllib
with open("pyproject.toml", "rb") as file:
    print(*tomllib.load(file)["build-system"]["requires"], sep="\n")')

extras=()
for extra in "${PRODUCTION_EXTRAS[@]}"; do extras+=(--extra "$extra"); done
"$tools/venv/bin/uv" pip compile --quiet --no-config \
    --universal --python-version 3.11 \
    --generate-hashes --no-emit-package botfleet --custom-compile-command scripts/lock.sh \
    "${extras[@]}" -c constraints.txt -o requirements.lock \
    pyproject.toml - <<<"$build_requires"
