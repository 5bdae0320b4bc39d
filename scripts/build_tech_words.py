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
api backend bitfield boolean bytecode changelog chatbot checksum codebase codegen config
coroutine cronjob daemon dataclass dataset datastore dedupe devops dockerfile dotfile
endpoint enum env fallback filesystem frontend func gamedev getter hashmap healthcheck
hostname hotfix hotkey iframe init interop iterable iterator json keybind keyframe
kubeconfig lockfile logfile localhost lookup macOS metadata microservice middleware monorepo
multithread mutex namespace netcode nullable onboarding param pathname payload pipeline
plugin postgres preload prefetch proxy queue readme redis regex repo runtime sandbox
schema screenshot setter sharding sidecar snapshot stacktrace stderr stdin stdout subnet
subprocess subreddit substring superclass syscall tarball timestamp tokenizer toolchain
tooltip tuple typedef unicode uptime url username util viewport vsync webhook websocket
whitelist workflow wrapper
"""
"""Nouns of everyday software talk; the script adds their plurals."""

JARGON_VERBS: Final = """
autoscale backport benchmark bootstrap cache debounce deserialize dockerize fetch
hardcode lint memoize minify monkeypatch namespace parse prefetch rebase refactor
reindex rerun serialize stringify subclass tokenize transpile unmount unpin upsert
"""
"""Verbs of everyday software talk; the script adds -s, -ed and -ing forms."""

TOOLS: Final = """
ansible clippy cmake docker eslint fastapi gitlab github golang goroutine grafana gunicorn
jenkins jupyter kafka kotlin kubectl kubernetes linter memcached mongodb msgpack mypy
nginx numpy pandas pipenv postgresql prometheus pydantic pytest rabbitmq ruff rustc scipy
serde sqlalchemy sqlite systemd terraform tokio typescript uvicorn vite webpack
"""
"""Tools and libraries a developers' chat names all the time, not always capitalized."""


def _verb_forms(verb: str) -> list[str]:
    return [verb, plural_form(verb), regular_past(verb), present_participle(verb)]


def jargon() -> set[str]:
    """The hand-reviewed jargon above, with its derived forms."""
    words = set(TOOLS.split())
    for noun in JARGON_NOUNS.split():
        words |= {noun, plural_form(noun)}
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
