"""Build the Spelling Bee's classic-mode words (``bots/spelling_bee/data/classic.json``).

Each word comes with a definition, its part of speech and, where WordNet has one, an example
sentence with the word masked. The bot reads only the file this writes, so running the fleet
needs none of the sources; only rebuilding does. On Debian or Ubuntu::

    apt-get install wamerican wordnet-base     # /usr/share/dict, /usr/share/wordnet
    make install                               # the data extra: wordfreq, better-profanity
    .venv/bin/python scripts/build_spelling_bee_definitions.py

What goes in, and why:

* **Words** are the common words of the other word games' pipeline: lowercase a–z entries of
  ``wamerican`` (no proper nouns), of four to fourteen letters, with a ``wordfreq`` Zipf
  frequency of at least ``MIN_ZIPF``, that pass the same exclusions (the fleet's content
  policy, and WordNet glosses that mark a word offensive in any sense). Unlike the puzzle,
  any letter may be used: spelling "necessary" is the point here.
* **Base forms only**: a word must be a WordNet lemma ("garden", not "gardens"), so every
  word has a definition of its own.
* **The sense**: the part of speech the word is most often tagged with in SemCor, and that
  part of speech's most used sense by WordNet's sense counts (``cntlist.rev``). Crude senses
  are skipped: glossed as slang, vulgar or offensive, or with profanity in their text.
* **Clues that never give the spelling away**: in the definition and the example, every run of
  letters that holds the word or an irregular form of it, starts with the word or a word
  WordNet derives from the same root ("vote" for *voter*), or shares 60 % of the word's
  letters in a row (four at least: "migration" for *immigration*, "appear" in "appear
  again" for *reappear*) is masked. When masking leaves too little of a definition, the next
  sense is taken; a word with no usable sense is left out. The script reports how many
  entries were masked, moved to another sense and left out.
* **Difficulty** is how hard the word is to *spell*, not its length alone: a score from its
  frequency (rarer is harder), its length past five letters and the spelling traps it holds
  (double letters, silent letters, unusual vowel groups, -ence/-ance, -ible/-able, endings
  that sound alike, ph or a y for an i). The thresholds were chosen so that the mean
  frequency falls from easy to medium to hard (the tests check it over the whole file).

``--check`` rebuilds into memory and fails when the result differs from the shipped file.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from statistics import fmean
from typing import Final

from build_hangman_words import (
    OFFENSIVE_GLOSS,
    WORD_LIST,
    WORDNET,
    WordNet,
    acceptable,
    read_candidates,
    read_wordnet,
    write_or_check,
)
from wordfreq import zipf_frequency

from botfleet.bots.spelling_bee.services.classic_words import (
    MASK,
    Difficulty,
    gives_away,
    mask_word,
)
from botfleet.services.profanity import is_profane_word

REPOSITORY: Final = Path(__file__).resolve().parent.parent
DEFAULT_OUTPUT: Final = REPOSITORY / "src/botfleet/bots/spelling_bee/data/classic.json"
MIN_ZIPF: Final = 3.0
MAX_DEFINITION_LENGTH: Final = 200
PARTS_OF_SPEECH: Final = {"n": "noun", "v": "verb", "a": "adjective", "r": "adverb"}
FILE_OF: Final = {"n": "noun", "v": "verb", "a": "adj", "r": "adv"}
FILE_POS: Final = {"n": "n", "v": "v", "a": "a", "s": "a", "r": "r"}
"""A pointer's part of speech -> the part of speech of the file its target is in."""
DERIVATION: Final = "+"
CRUDE_MARK: Final = re.compile(r"\bslang\b|\bvulgar|\bcoarse\b")
MIN_SHOWN_WORDS: Final = 2
MAX_MASKED_SHARE: Final = 3
"""A masked definition is used while at most one word in this many is masked."""
_EXAMPLE: Final = re.compile(r'"([^"]+)"')
_WORD: Final = re.compile(r"[a-z]+", re.IGNORECASE)
_profane: Final = cache(is_profane_word)
"""The chat filter's verdict on a gloss word: glosses repeat their words thousands of times."""

SPELLING_TRAPS: Final = (
    re.compile(r"([a-z])\1"),
    re.compile(r"^(?:kn|wr|gn|ps|pn|rh)|mb$|mn$|bt|ght|stle|sc(?=[eiy])|gue$|wh|lk|lm$"),
    re.compile(r"ei|ie|eau|ough|augh|aigh|ae|oe|iou|eou|uou|ui|ue"),
    re.compile(r"[ae]n(?:ce|cy|t)$"),
    re.compile(r"[ai]bl[ey]$"),
    re.compile(r"[cst]ion$|cious$|tious$|ceed$|cede$|sede$|[ae]ry$|ise$|ize$|yse$"),
    re.compile(r"ph|rh|ch(?=r|l)|y(?![aeiou])(?!$)|qu|x"),
)
"""Where spellers go wrong: double letters, silent letters, unusual vowel groups, -ence/-ance,
-ible/-able, endings that sound alike (-tion/-sion, -ary/-ery, -ise/-ize), and letters that
spell another sound (ph, chr, a y for an i)."""
ZIPF_CEILING: Final = 7.0
ZIPF_WEIGHT: Final = 1.0
SHORT_WORD: Final = 5
LENGTH_WEIGHT: Final = 0.2
TRAP_WEIGHT: Final = 0.45
EASY_BELOW: Final = 3.6
HARD_FROM: Final = 4.85
"""Score thresholds, chosen so that mean frequency falls from easy to medium to hard."""


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
    derived: dict[str, set[str]]
    """lemma -> one-word lemmas derived from the same root ("vote" for "voter"), by WordNet."""


@dataclass
class Tally:
    """What building the entries did to the clues, for the script's report."""

    masked: int = 0
    """Entries whose definition or example had a word besides the answer masked."""
    later_sense: int = 0
    """Entries whose most common sense was left for another: crude, or masked past use."""
    rejected: int = 0
    """Words left out: no sense of their part of speech gave a usable clue."""


def _lines(path: Path) -> Iterator[str]:
    with path.open(encoding="utf-8") as lines:
        yield from (line for line in lines if not line.startswith("  "))


def split_gloss(gloss: str) -> Gloss:
    """``definition; "example"; "example"`` as WordNet writes it."""
    definition = gloss.split('; "', maxsplit=1)[0].strip().rstrip(";").strip()
    return Gloss(definition, tuple(example.strip() for example in _EXAMPLE.findall(gloss)))


def _derivations(
    words: dict[tuple[str, str], list[str]], pointers: dict[tuple[str, str], list[list[str]]]
) -> dict[str, set[str]]:
    """lemma -> the lemmas WordNet's derivation pointers ("+") link it to, both ways."""
    derived: dict[str, set[str]] = defaultdict(set)
    for (pos, offset), entries in pointers.items():
        for _, target, target_pos, numbers in entries:
            source_number, target_number = int(numbers[:2], 16), int(numbers[2:], 16)
            target_words = words.get((FILE_POS[target_pos], target), [])
            if not source_number or not target_number or target_number > len(target_words):
                continue
            source = words[pos, offset][source_number - 1]
            other = target_words[target_number - 1]
            if "_" not in other and "_" not in source:
                derived[source].add(other)
                derived[other].add(source)
    return dict(derived)


def read_senses(folder: Path) -> Senses:
    """The sense order, glosses, irregular forms and derivations of every WordNet lemma."""
    offsets: dict[str, dict[str, list[str]]] = {}
    glosses: dict[str, dict[str, Gloss]] = {}
    inflections: dict[str, set[str]] = defaultdict(set)
    words: dict[tuple[str, str], list[str]] = {}
    pointers: dict[tuple[str, str], list[list[str]]] = {}
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
            fields = head.split()
            glosses[pos][fields[0]] = split_gloss(gloss)
            word_count = int(fields[3], 16)
            words[pos, fields[0]] = [
                re.sub(r"\(.*\)$", "", fields[4 + 2 * index]).lower() for index in range(word_count)
            ]
            rest = fields[4 + 2 * word_count :]
            pointers[pos, fields[0]] = [
                rest[1 + 4 * index : 5 + 4 * index]
                for index in range(int(rest[0]))
                if rest[1 + 4 * index] == DERIVATION
            ]
        for line in _lines(folder / f"{name}.exc"):
            form, *lemmas = line.split()
            for lemma in lemmas:
                inflections[lemma].add(form)
    return Senses(offsets, glosses, dict(inflections), _derivations(words, pointers))


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


def by_use(word: str, pos: str, senses: Senses, wordnet: WordNet) -> list[str]:
    """The word's synsets of ``pos``, most tagged in SemCor first (WordNet's order on ties)."""
    counts = wordnet.sense_number_counts.get((word, pos), {})
    ranked = sorted(
        enumerate(senses.offsets[pos][word], start=1), key=lambda item: -counts.get(item[0], 0)
    )
    return [offset for _, offset in ranked]


def is_crude(gloss: Gloss) -> bool:
    """Whether a sense is glossed as slang, vulgar or offensive, or its text has profanity.

    The clue's other words are context, not answers: the chat filter judges them, as it judges
    what members read ("organs" in the definition of *lung* is fine).
    """
    text = " ".join((gloss.definition, *gloss.examples)).lower()
    return bool(
        OFFENSIVE_GLOSS.search(text)
        or CRUDE_MARK.search(text)
        or any(map(_profane, _WORD.findall(text)))
    )


def clear_enough(definition: str) -> bool:
    """Whether a masked definition still says enough: most of its words are left."""
    masked = definition.count(MASK)
    shown = len(_WORD.findall(definition))
    return not masked or (shown >= MIN_SHOWN_WORDS and masked * MAX_MASKED_SHARE <= shown + masked)


def entry_for(word: str, senses: Senses, wordnet: WordNet, tally: Tally) -> list[str] | None:
    """``[word, part of speech, definition, example or ""]``, or None without a usable sense.

    The most used sense that is not crude is taken, with every giveaway of the spelling masked
    in its definition and example; when masking leaves too little of the definition, the next.
    """
    pos = main_part_of_speech(word, senses, wordnet)
    if pos is None:
        return None
    forms = senses.inflections.get(word, set())
    derived = senses.derived.get(word, set())
    for rank, offset in enumerate(by_use(word, pos, senses, wordnet)):
        gloss = senses.glosses[pos][offset]
        if is_crude(gloss) or not 0 < len(gloss.definition) <= MAX_DEFINITION_LENGTH:
            continue
        definition = mask_word(gloss.definition, word, forms, derived)
        if not clear_enough(definition):
            continue
        masked_examples = (
            (mask_word(text, word, forms, derived), text)
            for text in gloss.examples
            if mask_word(text, word, forms) != text
        )
        masked, original = next(masked_examples, ("", ""))
        tally.later_sense += rank > 0
        only_word = mask_word(original, word, forms)
        tally.masked += definition != gloss.definition or masked != only_word
        assert not gives_away(definition, word) and not gives_away(masked, word), word
        return [word, PARTS_OF_SPEECH[pos], definition, masked]
    tally.rejected += 1
    return None


def spelling_traps(word: str) -> int:
    """How many of the usual spelling traps ``word`` holds (double letters, silent letters...)."""
    return sum(len(trap.findall(word)) for trap in SPELLING_TRAPS)


def spelling_score(word: str, zipf: float) -> float:
    """How hard ``word`` is to spell: rarer, longer and with more traps is harder."""
    return (
        (ZIPF_CEILING - zipf) * ZIPF_WEIGHT
        + max(0, len(word) - SHORT_WORD) * LENGTH_WEIGHT
        + spelling_traps(word) * TRAP_WEIGHT
    )


def spelling_difficulty(word: str, zipf: float) -> Difficulty:
    """easy, medium or hard by :func:`spelling_score`."""
    score = spelling_score(word, zipf)
    if score < EASY_BELOW:
        return Difficulty.EASY
    return Difficulty.MEDIUM if score < HARD_FROM else Difficulty.HARD


def build(
    candidates: set[str], senses: Senses, wordnet: WordNet, tally: Tally
) -> dict[str, list[list[str]]]:
    """Difficulty -> the entries of its words, alphabetical."""
    by_difficulty: dict[str, list[list[str]]] = {level.value: [] for level in Difficulty}
    for word in sorted(candidates):
        zipf = zipf_frequency(word, "en")
        if zipf < MIN_ZIPF or not acceptable(word, wordnet):
            continue
        entry = entry_for(word, senses, wordnet, tally)
        if entry is not None:
            by_difficulty[spelling_difficulty(word, zipf)].append(entry)
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
    senses = read_senses(arguments.wordnet)
    tally = Tally()
    by_difficulty = build(read_candidates(arguments.word_list), senses, wordnet, tally)
    if not write_or_check(arguments.output, render(by_difficulty), check=arguments.check):
        return 1
    for level, entries in by_difficulty.items():
        examples = sum(1 for entry in entries if entry[3])
        mean = fmean(zipf_frequency(entry[0], "en") for entry in entries)
        sys.stdout.write(
            f"{level}: {len(entries)} words, {examples} with an example, mean Zipf {mean:.2f}\n"
        )
    sys.stdout.write(
        f"clues: {tally.masked} with a giveaway masked, {tally.later_sense} from a later sense, "
        f"{tally.rejected} words without a usable clue\n"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
