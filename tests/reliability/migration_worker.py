"""Run ``botfleet db upgrade``'s migration on ``--url`` and SIGKILL this process just before
its ``--kill-at``-th writing statement, as a machine that loses the process mid-migration.

Prints how many writing statements ran when it was not killed (the whole upgrade's count).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

from botfleet.database.migrate import upgrade

WRITING = ("CREATE", "ALTER", "DROP", "INSERT", "UPDATE", "DELETE")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--kill-at", type=int, required=True)
    arguments = parser.parse_args()
    written = 0

    def count(*args: Any) -> None:
        nonlocal written
        statement = str(args[2]).lstrip().upper()
        if statement.startswith(WRITING):
            written += 1
            if written == arguments.kill_at:
                os.kill(os.getpid(), signal.SIGKILL)

    event.listen(Engine, "before_cursor_execute", count)
    asyncio.run(upgrade(arguments.url))
    print(written)


if __name__ == "__main__":
    main()
