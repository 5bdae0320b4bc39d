#!/usr/bin/env bash
# Restart the running botfleet units one at a time (after an upgrade), as root on the host:
#   deploy/systemd/rolling-restart.sh
# Migrates first (botfleet-migrate.service), then restarts botfleet-web and each active
# botfleet@<bot> in turn, waiting until `botfleet status <bot>` sees the new process online
# before the next. systemd stops a bot with SIGTERM, which drains it: timers stop, its heartbeat
# is marked stopped, buffered XP is saved, the cache and database close, then it leaves the
# gateway (TimeoutStopSec=60s). A bot that does not come back stops the restart with status 1.
set -euo pipefail

install_dir=${INSTALL_DIR:-/opt/botfleet}
env_file=${ENV_FILE:-/etc/botfleet/botfleet.env}
attempts=${STATUS_ATTEMPTS:-36}
pause=${STATUS_PAUSE:-5}

cd "$install_dir"
set -a
# shellcheck source=/dev/null
. "$env_file"
set +a
export BOTFLEET_ENV=production

systemctl start botfleet-migrate.service
if systemctl is-active --quiet botfleet-web.service; then
    systemctl restart botfleet-web.service
fi

mapfile -t bots < <(systemctl list-units 'botfleet@*.service' --state=active --plain --no-legend \
    | awk '{print $1}')
for unit in "${bots[@]}"; do
    bot=${unit#botfleet@}
    bot=${bot%.service}
    echo "restarting $bot"
    systemctl restart "$unit"
    online=false
    for _ in $(seq 1 "$attempts"); do
        if "$install_dir/.venv/bin/botfleet" status "$bot" >/dev/null; then
            online=true
            break
        fi
        sleep "$pause"
    done
    if [[ $online != true ]]; then
        echo "rolling restart: $bot is not online again; stopping here (journalctl -u $unit)" >&2
        exit 1
    fi
    "$install_dir/.venv/bin/botfleet" status "$bot"
done
echo "rolling restart: done"
