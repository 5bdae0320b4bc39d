"""Build the Spelling Bee's classic-mode words (``bots/spelling_bee/data/classic.json``).

Each word comes with a definition, its part of speech and, where WordNet has one, an example
sentence with the word masked. The bot reads only the file this writes, so running the fleet
needs none of the sources; only rebuilding does. On Debian or Ubuntu::

    apt-get install wamerican wordnet-base     # /usr/share/dict, /usr/share/wordnet
    .venv/bin/pip install wordfreq             # word frequencies (the `data` extra)
    .venv/bin/python scripts/build_spelling_bee_definitions.py

What goes in, and why:

* **Words** are the common words of the other word games' pipeline: lowercase a–z entries of
  ``wamerican`` (no proper nouns), of four to fourteen letters, with a ``wordfreq`` Zipf
  frequency of at least ``MIN_ZIPF``, that pass the same exclusions (the fleet's profanity
  filter, WordNet glosses that mark a word offensive, a list unsuitable for a casual game).
  Unlike the puzzle, any letter may be used: spelling "necessary" is the point here.
* **Base forms only**: a word must be a WordNet lemma ("garden", not "gardens"), so every
  word has a definition of its own.
* **The sense**: the part of speech the word is most often tagged with in SemCor (WordNet's
  sense counts), and that part of speech's most frequent sense (WordNet lists senses by
  frequency), or the next one when that sense's definition uses the word itself ("pants":
  "underpants worn by women"). Its gloss gives the definition and, when one of its examples
  uses the word, the example, in which the word and its inflections are masked.
* **Difficulty** as for Hangman: *easy* words are common and short, *hard* words are rare or
  long, *medium* is the rest.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from build_hangman_words import (
    WORD_LIST,
    WORDNET,
    WordNet,
    acceptable,
    difficulty_of,
    read_candidates,
    read_wordnet,
)
from wordfreq import zipf_frequency

from botfleet.bots.spelling_bee.services.classic_words import (
    Difficulty,
    mask_word,
    shows_word,
)

REPOSITORY: Final = Path(__file__).resolve().parent.parent
DEFAULT_OUTPUT: Final = REPOSITORY / "src/botfleet/bots/spelling_bee/data/classic.json"
MIN_ZIPF: Final = 3.0
MAX_DEFINITION_LENGTH: Final = 200
PARTS_OF_SPEECH: Final = {"n": "noun", "v": "verb", "a": "adjective", "r": "adverb"}
FILE_OF: Final = {"n": "noun", "v": "verb", "a": "adj", "r": "adv"}
_EXAMPLE: Final = re.compile(r'"([^"]+)"')


@dataclass(frozen=True)
class Gloss:
    """A synset's gloss split into its definition and its example sentences."""

    definition: str
    examples: tuple[str, ...]


@dataclass
class Senses:
    """For each part of speech, lemma -> synset offsets (most frequent first), and glosses."""

    offsets: dict[str, dict[str, list[str]]]
    glosses: dict[str, dict[str, Gloss]]
    inflections: dict[str, set[str]]
    """lemma -> irregular forms ("ran" for "run") from WordNet's exception lists."""


def _lines(path: Path) -> Iterator[str]:
    with path.open(encoding="utf-8") as lines:
        yield from (line for line in lines if not line.startswith("  "))


def split_gloss(gloss: str) -> Gloss:
    """``definition; "example"; "example"`` as WordNet writes it."""
    definition = gloss.split('; "', maxsplit=1)[0].strip().rstrip(";").strip()
    return Gloss(definition, tuple(example.strip() for example in _EXAMPLE.findall(gloss)))


def read_senses(folder: Path) -> Senses:
    """The sense order, glosses and irregular forms of every WordNet lemma."""
    offsets: dict[str, dict[str, list[str]]] = {}
    glosses: dict[str, dict[str, Gloss]] = {}
    inflections: dict[str, set[str]] = defaultdict(set)
    for pos, name in FILE_OF.items():
        offsets[pos] = {}
        for line in _lines(folder / f"index.{name}"):
            fields = line.split()
            synset_count, pointer_count = int(fields[2]), int(fields[3])
            offsets[pos][fields[0]] = fields[-synset_count:]
            assert len(fields) == 6 + pointer_count + synset_count, line
        glosses[pos] = {}
        for line in _lines(folder / f"data.{name}"):
            head, _, gloss = line.partition(" | ")
            glosses[pos][head.split()[0]] = split_gloss(gloss)
        for line in _lines(folder / f"{name}.exc"):
            form, *lemmas = line.split()
            for lemma in lemmas:
                inflections[lemma].add(form)
    return Senses(offsets, glosses, dict(inflections))


def main_part_of_speech(word: str, senses: Senses, wordnet: WordNet) -> str | None:
    """The part of speech ``word`` is most often tagged with; by sense count when untagged."""
    present = [pos for pos in PARTS_OF_SPEECH if word in senses.offsets[pos]]
    if not present:
        return None
    tagged = wordnet.sense_counts.get(word, {})
    return max(
        present,
        key=lambda pos: (tagged.get(pos, 0), len(senses.offsets[pos][word]), -len(present)),
    )


def entry_for(word: str, senses: Senses, wordnet: WordNet) -> list[str] | None:
    """``[word, part of speech, definition, example or ""]``, or None without a usable sense."""
    pos = main_part_of_speech(word, senses, wordnet)
    if pos is None:
        return None
    forms = senses.inflections.get(word, set())
    glosses = (senses.glosses[pos][offset] for offset in senses.offsets[pos][word])
    gloss = next(
        (
            gloss
            for gloss in glosses
            if mask_word(gloss.definition, word, forms) == gloss.definition
            and 0 < len(gloss.definition) <= MAX_DEFINITION_LENGTH
        ),
        None,
    )
    if gloss is None:
        return None
    definition = gloss.definition
    masked_examples = ((mask_word(text, word, forms), text) for text in gloss.examples)
    example = next((masked for masked, text in masked_examples if masked != text), "")
    assert not shows_word(definition, word) and not shows_word(example, word), word
    return [word, PARTS_OF_SPEECH[pos], definition, example]


def build(candidates: set[str], senses: Senses, wordnet: WordNet) -> dict[str, list[list[str]]]:
    """Difficulty -> the entries of its words, alphabetical."""
    by_difficulty: dict[str, list[list[str]]] = {level.value: [] for level in Difficulty}
    for word in sorted(candidates):
        zipf = zipf_frequency(word, "en")
        if zipf < MIN_ZIPF or not acceptable(word, wordnet):
            continue
        entry = entry_for(word, senses, wordnet)
        if entry is not None:
            by_difficulty[difficulty_of(word, zipf)].append(entry)
    return by_difficulty


def render(by_difficulty: dict[str, list[list[str]]]) -> str:
    """The JSON document, one word a line so a rebuild reads well in a diff."""
    parts = [
        "{",
        f' "generated_by": {json.dumps("scripts/build_spelling_bee_definitions.py")},',
        f' "sources": {json.dumps("wamerican (SCOWL), WordNet 3.0, wordfreq; see SOURCES.md")},',
        ' "words": {',
    ]
    levels = list(by_difficulty)
    for index, level in enumerate(levels):
        entries = ",\n".join(f"   {json.dumps(entry)}" for entry in by_difficulty[level])
        closing = "," if index < len(levels) - 1 else ""
        parts.append(f"  {json.dumps(level)}: [\n{entries}\n  ]{closing}")
    parts.extend([" }", "}"])
    return "\n".join(parts) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
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
    senses = read_senses(arguments.wordnet)
    by_difficulty = build(read_candidates(arguments.word_list), senses, wordnet)
    arguments.output.write_text(render(by_difficulty), encoding="utf-8")
    for level, entries in by_difficulty.items():
        examples = sum(1 for entry in entries if entry[3])
        sys.stdout.write(f"{level}: {len(entries)} words, {examples} with an example\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
