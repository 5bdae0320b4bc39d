"""Build the Grammar Bot's technical vocabulary (``src/botfleet/bots/grammar/data/tech_words.txt``).

Words a spell checker should leave alone in a developers' chat: names of languages, formats and
tools, Python's modules, and everyday software jargon. The bot reads only the text file this
writes. Run::

    .venv/bin/python scripts/build_tech_words.py

What goes in:

* **Pygments** (BSD-2-Clause, a dependency of the test tools): the name and aliases of every
  lexer it ships, which is a maintained list of programming languages, config and data formats
  and tools ("kotlin", "nginx", "dockerfile", "terraform").
* **Python's standard library**: ``sys.stdlib_module_names`` ("asyncio", "subprocess").
* **Software jargon**: the reviewed list below ("webhook", "middleware", "refactor"), with
  the plural and verb forms the script derives.

Only words of letters that the fleet's profanity filter passes; from the packaged sources only
those of four letters or more (their three-letter aliases would hide typos like "teh"). The
output is sorted, one word a line, so a rebuild is byte-identical.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import Final

from pygments.lexers import get_all_lexers

from botfleet.bots.grammar.services.rules import plural_form, present_participle, regular_past
from botfleet.services.profanity import is_profane_word

REPOSITORY: Final = Path(__file__).resolve().parent.parent
DEFAULT_OUTPUT: Final = REPOSITORY / "src/botfleet/bots/grammar/data/tech_words.txt"
PACKAGED_WORD: Final = re.compile(r"[a-z]{4,}")
JARGON_WORD: Final = re.compile(r"[a-z]{3,}")

JARGON_NOUNS: Final = """
api async autoscaler backend bitfield boolean bytecode cgroup changelog changeset chatbot
checksum cli codebase codegen codepath config configmap coroutine cpu cron cronjob crontab
daemon daemonset dataclass dataset datastore dedupe deserializer dev devops diff dockerfile
dotenv dotfile endpoint enum env envvar failover fallback filesystem formatter fps frontend
func gamedev getter gitignore gpu hashmap healthcheck hitbox hostname hotfix hotkey hotpath
idempotency iframe init interop iterable iterator json keybind keyframe kubeconfig liveness
loadbalancer lockfile logfile localhost lookup macOS mbps metadata microservice middleware
monorepo multithread mutex namespace netcode noob nullable nvme onboarding param pathname
patchset payload pipeline plugin postbuild postgres prebuild precommit preload prefetch
proxy queue ratelimit readiness readme redis regex repo rollout runtime sandbox schema
screenshot serializer setter sharding sidecar snapshot spinlock speedrun speedrunner ssd
stacktrace statefulset stderr stdin stdlib stdout subnet submodule subprocess subreddit
substring superclass syscall tarball threadpool timestamp tokenizer toolchain tooltip
tryhard tuple typedef unicode uptime url username util venv viewport virtualenv vram vsync
webhook websocket whitelist workflow wrapper
"""
"""Nouns of everyday software talk; the script adds their plurals."""

JARGON_VERBS: Final = """
autoscale backfill backport benchmark bootstrap cache debounce deduplicate deserialize
dockerize fetch hardcode inline lint marshal memoize minify monkeypatch namespace nerf
parse prefetch rebase refactor reindex rerun respawn serialize stringify subclass tokenize
transpile unmarshal unmount unpin upsert
"""
"""Verbs of everyday software talk; the script adds -s, -ed and -ing forms."""

TOOLS: Final = """
ansible ccache certbot clippy cmake docker eslint etcd fastapi gitlab github golang
goroutine grafana gunicorn istio jenkins journald jupyter kafka kotlin kubectl kubernetes
letsencrypt linter linters memcached mongodb msgpack mypy neovim nginx npm numpy openssl
pandas pipenv pnpm postgresql prometheus pycharm pydantic pylint pypi pyright pytest
rabbitmq rsync ruff rustc scipy scp serde sqlalchemy sqlite sshd systemd terraform tmux
tokio typescript uvicorn vite vscode webpack
"""
"""Tools and libraries a developers' chat names all the time, not always capitalized."""


def _verb_forms(verb: str) -> list[str]:
    return [verb, plural_form(verb), regular_past(verb), present_participle(verb)]


def _noun_plural(noun: str) -> str:
    """A jargon noun's plural: clipped words ending in o (repo, demo) take a plain -s."""
    return noun + "s" if noun.endswith("o") else plural_form(noun)


def jargon() -> set[str]:
    """The hand-reviewed jargon above, with its derived forms."""
    words = set(TOOLS.split())
    for noun in JARGON_NOUNS.split():
        words |= {noun, _noun_plural(noun)}
    for verb in JARGON_VERBS.split():
        words |= set(_verb_forms(verb))
    return words


def packaged() -> set[str]:
    """Lexer names and aliases from Pygments, and Python's standard library modules."""
    words = set(sys.stdlib_module_names)
    for name, aliases, _, _ in get_all_lexers():
        words |= {name, *aliases}
    return words


def build() -> list[str]:
    words = {w.lower() for w in packaged() if PACKAGED_WORD.fullmatch(w.lower())}
    words |= {w.lower() for w in jargon() if JARGON_WORD.fullmatch(w.lower())}
    return sorted(word for word in words if not is_profane_word(word))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    output = parser.parse_args().output
    words = build()
    output.write_text("\n".join(words) + "\n", encoding="utf-8")
    sys.stdout.write(f"wrote {len(words)} words to {output}\n")


if __name__ == "__main__":
    main()
