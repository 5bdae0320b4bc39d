# syntax=docker/dockerfile:1
# One image for every botfleet process: the six bots, the web endpoints and the migrations.
#   docker build -t botfleet .
#   docker run botfleet run hangman        (a bot; its /health and /metrics on :8080)
#   docker run botfleet                    (the web endpoints on :8080, with their own /health)
# deploy/compose.yaml runs the whole fleet from it; see the README's "Run in production".

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# Stage 1: install botfleet and its pinned dependencies into a virtual environment.
FROM ${PYTHON_IMAGE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1
WORKDIR /build
# A C compiler for botfleet's one compiled module (the Mod Bot's table of clean words); it stays
# in this stage, the runtime image gets the built module only.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends gcc libc6-dev \
    && rm -rf /var/lib/apt/lists/*
RUN python -m venv /opt/botfleet
# requirements.lock (scripts/lock.sh) holds every package of a production fleet's extras, the
# test tools left out, each pinned and with its files' hashes: pip refuses any file that does
# not match. botfleet itself is then built from the source with those packages only.
COPY requirements.lock ./
RUN /opt/botfleet/bin/pip install --require-hashes --no-deps -r requirements.lock
COPY pyproject.toml setup.py README.md LICENSE ./
COPY src ./src
RUN /opt/botfleet/bin/pip install --no-deps --no-build-isolation --no-index . \
    && /opt/botfleet/bin/pip check
# Bots run as `python -OO` (docstrings left out: about 6 MB less per bot, issue 16); their
# bytecode is compiled here, since the runtime writes none (PYTHONDONTWRITEBYTECODE).
RUN /opt/botfleet/bin/python -OO -m compileall -q -x '/tests?/' /opt/botfleet/lib

# Stage 2: the runtime, without pip's caches or the source tree, running as an unprivileged user.
FROM ${PYTHON_IMAGE} AS runtime
# ffmpeg plays the Music Bot's audio; espeak-ng speaks the Spelling Bee's words; curl asks
# /health for the health check (a probe costs no Python interpreter). Debian's stable versions
# receive security fixes in place, so they are not pinned.
ARG SYSTEM_PACKAGES="ffmpeg espeak-ng curl"
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends ${SYSTEM_PACKAGES} \
    && rm -rf /var/lib/apt/lists/*
# The standard library's bytecode for `python -OO` too (the bots' processes).
RUN python -OO -m compileall -q -x '/(tests?|idle_test|lib2to3)/' \
    "$(python -c 'import sysconfig; print(sysconfig.get_path("stdlib"))')"
RUN groupadd --system --gid 10001 botfleet \
    && useradd --system --uid 10001 --gid botfleet --home-dir /app --shell /usr/sbin/nologin botfleet
COPY --from=build /opt/botfleet /opt/botfleet
WORKDIR /app
COPY config ./config
# data/ and logs/ belong to the botfleet user; named volumes mounted there inherit that owner.
RUN mkdir data logs && chown botfleet:botfleet data logs
# A bot serves its /health and /metrics (health.port) on 8080, the port the web process
# listens on: one process per container, so either way the health check asks :8080/health.
ENV PATH=/opt/botfleet/bin:${PATH} \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    BOTFLEET_ENV=production \
    BOTFLEET_HEALTH__HOST=0.0.0.0 \
    BOTFLEET_HEALTH__PORT=8080
USER 10001:10001
EXPOSE 8080
# SIGTERM makes a bot close cleanly (timers, heartbeat, buffered XP, cache, database, gateway).
STOPSIGNAL SIGTERM
# The web process's /health, or a bot's: 200 once every shard is connected, 503 while it
# connects or drains.
HEALTHCHECK --interval=30s --timeout=10s --start-period=60s --retries=3 \
    CMD ["curl", "--fail", "--silent", "--show-error", "--max-time", "5", "http://127.0.0.1:8080/health"]
ENTRYPOINT ["botfleet"]
CMD ["web", "--host", "0.0.0.0", "--port", "8080"]
