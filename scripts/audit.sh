#!/usr/bin/env bash
# Ask a vulnerability service about every package of requirements.lock (the production install):
#   scripts/audit.sh            (PyPI's advisories)
#   scripts/audit.sh osv        (OSV's)
# pip-audit runs from a virtual environment of its own, made here and removed after. It needs
# the service over the network: .ci/run calls this and fails on a known vulnerability, and
# where the service cannot be reached (our CI machines) it says so and goes on; run it too on a
# machine that can reach it, before a release and after scripts/lock.sh. Exit status: 0 when
# no package has a known vulnerability, 1 when one has, 2 when the service (or the package
# index, for pip-audit itself) could not be asked.
set -euo pipefail
cd "$(dirname "$0")/.."

SERVICE=${1:-pypi}
PIP_AUDIT_VERSION=2.10.1

tools=$(mktemp -d)
trap 'rm -rf "$tools"' EXIT
python3 -m venv "$tools/venv"
if ! "$tools/venv/bin/pip" install --quiet "pip-audit==$PIP_AUDIT_VERSION" 2>"$tools/errors"; then
    cat "$tools/errors" >&2
    echo "audit: pip-audit $PIP_AUDIT_VERSION could not be installed from the package index" >&2
    exit 2
fi
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
cat "$tools/errors" >&2
echo "audit: the $SERVICE vulnerability service could not be asked from this machine" >&2
exit 2
