#!/usr/bin/env bash
# Ask a vulnerability service about every package of requirements.lock (the production install):
#   scripts/audit.sh            (PyPI's advisories)
#   scripts/audit.sh osv        (OSV's)
# pip-audit runs from a virtual environment of its own, made here and removed after. It needs
# the service over the network: .ci/run calls this and fails on a known vulnerability, and
# where the service cannot be reached (our CI machines) it says so and goes on; run it too on a
# machine that can reach it, before a release and after scripts/lock.sh. Exit status: 0 when
# no package has a known vulnerability, 1 when one has, 2 when the network kept the service (or
# the package index, for pip-audit itself) from answering, 3 when the audit failed otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."

SERVICE=${1:-pypi}
PIP_AUDIT_VERSION=2.10.1
# What pip and pip-audit print when the network, not the lock, is the trouble: no route, no
# name, a refused or blocked connection, or a service that knows no package (a proxy's 404).
OUT_OF_REACH='Failed to establish a new connection|Max retries exceeded|Temporary failure in name resolution|Name or service not known|Network is unreachable|Connection refused|your network may be blocking|could not be audited'

tools=$(mktemp -d)
trap 'rm -rf "$tools"' EXIT

# The status for a failed step whose messages are in $tools/errors: 2 when they show the
# network out of reach, else 3.
failed() {
    cat "$tools/errors" >&2
    if grep -Eq "$OUT_OF_REACH" "$tools/errors"; then
        echo "audit: $1 could not be reached from this machine" >&2
        exit 2
    fi
    echo "audit: the audit failed ($2)" >&2
    exit 3
}

python3 -m venv "$tools/venv" 2>"$tools/errors" || failed "python3's venv module" "no virtual environment"
"$tools/venv/bin/pip" install --quiet "pip-audit==$PIP_AUDIT_VERSION" 2>"$tools/errors" \
    || failed "the package index" "pip-audit $PIP_AUDIT_VERSION not installed"
# Every package is pinned with its hashes, so pip-audit reads the lock without resolving it.
if "$tools/venv/bin/pip-audit" --strict --progress-spinner off --vulnerability-service "$SERVICE" \
    --disable-pip --require-hashes --requirement requirements.lock 2>"$tools/errors"; then
    echo "audit: no known vulnerability in requirements.lock ($SERVICE)"
    exit 0
fi
if grep -q "Found [0-9]* known vulnerabilit" "$tools/errors"; then
    cat "$tools/errors" >&2
    exit 1
fi
failed "the $SERVICE vulnerability service" "pip-audit's messages are above"
