"""Build the Spelling Bee Bot's word list (``src/botfleet/bots/spelling_bee/data/words.txt``).

The bot reads only the file this writes, so running the fleet needs none of the sources; only
rebuilding the list does. On Debian or Ubuntu::

    apt-get install wamerican wordnet-base     # /usr/share/dict, /usr/share/wordnet
    make install                               # the data extra: wordfreq, better-profanity
    .venv/bin/python scripts/build_spelling_bee_words.py

What goes in, and why:

* **Candidates** are the lowercase a–z entries of Debian's ``wamerican`` list (SCOWL) of four
  to fifteen letters: keeping lowercase entries drops proper nouns and possessives.
* **Commonness**: a word needs a ``wordfreq`` Zipf frequency of at least ``MIN_ZIPF``, so the
  answers of a puzzle are words most players know.
* **Puzzle-friendly**: at most seven different letters (no puzzle could hold more), and no
  letter S, as the popular puzzle does, so plurals never double the answers.
* **Exclusions**: the same rules as the Hangman lists: every word the fleet's content policy
  flags (``botfleet.services.content_policy``: the chat filter, ``better-profanity``'s list
  and our reviewed list) and words WordNet glosses as offensive in any sense.

``--check`` rebuilds into memory and fails when the result differs from the shipped file.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Final

from build_hangman_words import WORDNET, acceptable, read_wordnet, write_or_check
from wordfreq import zipf_frequency

REPOSITORY: Final = Path(__file__).resolve().parent.parent
DEFAULT_OUTPUT: Final = REPOSITORY / "src/botfleet/bots/spelling_bee/data/words.txt"
WORD_LIST: Final = Path("/usr/share/dict/american-english")
MIN_LENGTH: Final = 4
MAX_LENGTH: Final = 15
MAX_DISTINCT_LETTERS: Final = 7
MIN_ZIPF: Final = 2.8
EXCLUDED_LETTER: Final = "s"


def read_candidates(path: Path) -> set[str]:
    """The lowercase a–z entries of a one-word-a-line list that could answer a puzzle."""
    with path.open(encoding="utf-8") as lines:
        return {
            word
            for word in (line.strip() for line in lines)
            if MIN_LENGTH <= len(word) <= MAX_LENGTH
            and word.isascii()
            and word.isalpha()
            and word.islower()
            and EXCLUDED_LETTER not in word
            and len(set(word)) <= MAX_DISTINCT_LETTERS
        }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    parser.add_argument("--check", action="store_true", help="compare with --output, write nothing")
    parser.add_argument("--word-list", type=Path, default=WORD_LIST)
    parser.add_argument("--wordnet", type=Path, default=WORDNET)
    arguments = parser.parse_args(argv)
    missing = [path for path in (arguments.word_list, arguments.wordnet) if not path.exists()]
    if missing:
        sys.stderr.write(
            f"missing {', '.join(map(str, missing))}: apt-get install wamerican wordnet-base\n"
        )
        return 1
    wordnet = read_wordnet(arguments.wordnet)
    words = sorted(
        word
        for word in read_candidates(arguments.word_list)
        if zipf_frequency(word, "en") >= MIN_ZIPF and acceptable(word, wordnet)
    )
    if not write_or_check(arguments.output, "\n".join(words) + "\n", check=arguments.check):
        return 1
    pangram_sets = {frozenset(word) for word in words if len(set(word)) == MAX_DISTINCT_LETTERS}
    sys.stdout.write(f"{len(words)} words, {len(pangram_sets)} pangram letter sets\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
