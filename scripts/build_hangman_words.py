"""Build the Hangman Bot's word lists (``src/botfleet/bots/hangman/data/words.json``).

The bot reads only the JSON this writes, so running the fleet needs none of the sources below;
only rebuilding the lists does. On Debian or Ubuntu::

    apt-get install wamerican wordnet-base     # /usr/share/dict, /usr/share/wordnet
    .venv/bin/pip install wordfreq             # word frequencies
    .venv/bin/python scripts/build_hangman_words.py

What goes in, and why:

* **Candidates** are the lowercase a–z entries of Debian's ``wamerican`` list (SCOWL): keeping
  lowercase entries drops proper nouns, countries and possessives.
* **Categories** come from WordNet 3.0: a word belongs to a category when its *most common*
  noun sense (WordNet lists senses by frequency) is of that kind, either by WordNet's own
  lexicographer file (``noun.animal``...) or by descending from a chosen concept ("clothing",
  "vehicle"...). A word mostly used as a verb or adjective ("down", "quiet") is left out, as
  is the regular plural of a word already in the category. The ``general`` category is every
  common base word (a WordNet lemma of any part of speech) not also a place name ("china").
* **Difficulty** comes from ``wordfreq``'s Zipf frequency and the word's length: *easy* words
  are common and short, *hard* words are rare or long, *medium* is the rest.
* **Exclusions**: the fleet's profanity filter, any word WordNet glosses as obscene, vulgar,
  offensive, disparaging or a slur in any sense, and a short list of words unsuitable for a
  casual game.
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

from wordfreq import zipf_frequency

from botfleet.services.profanity import is_profane_word

REPOSITORY: Final = Path(__file__).resolve().parent.parent
DEFAULT_OUTPUT: Final = REPOSITORY / "src/botfleet/bots/hangman/data/words.json"
WORD_LIST: Final = Path("/usr/share/dict/american-english")
WORDNET: Final = Path("/usr/share/wordnet")

MIN_LENGTH: Final = 4
MAX_LENGTH: Final = 14
MIN_CATEGORY_ZIPF: Final = 2.5
"""Category words rarer than this are ones few players would know."""
MIN_GENERAL_ZIPF: Final = 3.2
MAX_GENERAL_LENGTH: Final = 12
EASY_MIN_ZIPF: Final = 3.8
EASY_MAX_LENGTH: Final = 8
HARD_MAX_ZIPF: Final = 3.0
HARD_MIN_LENGTH: Final = 11
MIN_WORDS_PER_DIFFICULTY: Final = 5
"""A category is left out when one of its difficulties would have fewer words than this."""

LOCATION_LEXFILE: Final = 15
OFFENSIVE_GLOSS: Final = re.compile(
    r"\b(obscene|vulgar|offensive|slur|disparaging|derogatory|sex|sexual|erotic|genital\w*|"
    r"copulat\w*|buttocks|hymen|virgin\w*)\b"
)
UNSUITABLE: Final = frozenset(
    {
        "abortion",
        "anus",
        "belladonna",
        "boob",
        "brothel",
        "cocaine",
        "condom",
        "cripple",
        "ejaculate",
        "genitals",
        "genocide",
        "heroin",
        "holocaust",
        "incest",
        "jihad",
        "lesbian",
        "lynch",
        "marijuana",
        "midget",
        "nipple",
        "nude",
        "orgasm",
        "penis",
        "phallus",
        "rape",
        "rapist",
        "rectum",
        "scrotum",
        "semen",
        "sperm",
        "suicide",
        "teat",
        "testicle",
        "vagina",
        "whorehouse",
    }
)
"""Not profanity, but not what a casual word game should ask for."""


@dataclass(frozen=True)
class Category:
    """A category of the game: WordNet lexicographer files and/or ancestor concepts."""

    name: str
    description: str
    lexfiles: frozenset[int] = frozenset()
    ancestors: frozenset[str] = frozenset()
    """Synset offsets (data.noun) a word's first sense must descend from."""


CATEGORIES: Final = (
    Category("animals", "Creatures of land, sea and air", lexfiles=frozenset({5})),
    Category("food", "Things to eat and drink", lexfiles=frozenset({13})),
    Category("plants", "Trees, flowers, herbs and crops", lexfiles=frozenset({20})),
    Category("body", "Parts of the body", lexfiles=frozenset({8})),
    Category(
        "science",
        "Sciences, elements, particles, stars and natural phenomena",
        ancestors=frozenset({"05999797", "14622893", "09239740", "09272085", "11419404"}),
    ),
    Category("jobs", "Trades and professions", ancestors=frozenset({"09632518", "10480253"})),
    Category("clothing", "Things to wear", ancestors=frozenset({"03051540"})),
    Category("vehicles", "Ways to travel", ancestors=frozenset({"04524313"})),
    Category("buildings", "Places people build", ancestors=frozenset({"02913152"})),
    Category("sports", "Sports and games people play", ancestors=frozenset({"00523513"})),
    Category("music", "Musical instruments", ancestors=frozenset({"03800933"})),
)
GENERAL: Final = Category("general", "Common English words of every kind")


@dataclass(frozen=True)
class Synset:
    lexfile: int
    words: tuple[str, ...]
    """As WordNet spells them: "Brooks" (the person) is not the common noun "brooks"."""
    hypernyms: tuple[str, ...]
    gloss: str


@dataclass
class WordNet:
    """The parts of WordNet 3.0 the categories need, read from its database files."""

    noun_senses: dict[str, list[str]]
    """lemma -> noun synset offsets, most frequent sense first (when ``ranked``)."""
    ranked: set[str]
    """Nouns whose senses are in a known order: one sense, or senses counted in SemCor."""
    synsets: dict[str, Synset]
    lemmas: set[str]
    """Every lemma of every part of speech."""
    glosses: dict[str, list[str]]
    """lemma -> the glosses of all its senses, every part of speech."""
    sense_counts: dict[str, dict[str, int]]
    """lemma -> part of speech ("n", "v", "a", "r") -> tagged occurrences in SemCor."""
    place_names: set[str]
    """Lowercased capitalised lemmas that name places ("china" for China)."""

    def ancestors(self, offset: str) -> set[str]:
        seen: set[str] = set()
        stack = [offset]
        while stack:
            for hypernym in self.synsets[stack.pop()].hypernyms:
                if hypernym not in seen:
                    seen.add(hypernym)
                    stack.append(hypernym)
        return seen

    def mostly_a_noun(self, lemma: str) -> bool:
        counts = self.sense_counts.get(lemma, {})
        noun = counts.get("n", 0)
        return all(noun >= count for pos, count in counts.items() if pos != "n")

    def offensive(self, lemma: str) -> bool:
        return any(OFFENSIVE_GLOSS.search(gloss) for gloss in self.glosses.get(lemma, []))


def _data_lines(path: Path) -> Iterator[str]:
    with path.open(encoding="utf-8") as lines:
        yield from (line for line in lines if not line.startswith("  "))


def read_wordnet(folder: Path) -> WordNet:
    """Read WordNet's index, data and sense-count files from ``folder``."""
    noun_senses: dict[str, list[str]] = {}
    ranked: set[str] = set()
    lemmas: set[str] = set()
    for pos in ("noun", "verb", "adj", "adv"):
        for line in _data_lines(folder / f"index.{pos}"):
            fields = line.split()
            lemmas.add(fields[0])
            if pos == "noun":
                pointer_count = int(fields[3])
                sense_count, tagged_count = fields[4 + pointer_count : 6 + pointer_count]
                noun_senses[fields[0]] = fields[6 + pointer_count :]
                if int(sense_count) == 1 or int(tagged_count) > 0:
                    ranked.add(fields[0])
    synsets: dict[str, Synset] = {}
    glosses: dict[str, list[str]] = defaultdict(list)
    place_names: set[str] = set()
    for pos in ("noun", "verb", "adj", "adv"):
        for line in _data_lines(folder / f"data.{pos}"):
            head, _, gloss = line.partition(" | ")
            fields = head.split()
            word_count = int(fields[3], 16)
            words = [fields[4 + 2 * index] for index in range(word_count)]
            for word in words:
                glosses[re.sub(r"\(.*\)$", "", word).lower()].append(gloss.lower())
            if pos != "noun":
                continue
            rest = fields[4 + 2 * word_count :]
            hypernyms = tuple(
                rest[2 + 4 * index]
                for index in range(int(rest[0]))
                if rest[1 + 4 * index] in {"@", "@i"}
            )
            lexfile = int(fields[1])
            synsets[fields[0]] = Synset(lexfile, tuple(words), hypernyms, gloss)
            if lexfile == LOCATION_LEXFILE:
                place_names.update(word.lower() for word in words if word[:1].isupper())
    sense_counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    pos_of_type = {"1": "n", "2": "v", "3": "a", "4": "r", "5": "a"}
    for line in _data_lines(folder / "cntlist.rev"):
        key, _, count = line.split()
        lemma, _, lex_sense = key.partition("%")
        sense_counts[lemma][pos_of_type[lex_sense[0]]] += int(count)
    return WordNet(
        noun_senses, ranked, synsets, lemmas, dict(glosses), dict(sense_counts), place_names
    )


def read_candidates(path: Path) -> set[str]:
    """The lowercase a–z entries of a one-word-a-line list."""
    with path.open(encoding="utf-8") as lines:
        return {
            word
            for word in (line.strip() for line in lines)
            if re.fullmatch(rf"[a-z]{{{MIN_LENGTH},{MAX_LENGTH}}}", word)
        }


def difficulty_of(word: str, zipf: float) -> str:
    """easy, medium or hard, from how common and how long the word is."""
    if zipf < HARD_MAX_ZIPF or len(word) >= HARD_MIN_LENGTH:
        return "hard"
    if zipf >= EASY_MIN_ZIPF and len(word) <= EASY_MAX_LENGTH:
        return "easy"
    return "medium"


def acceptable(word: str, wordnet: WordNet) -> bool:
    """Not profane, not glossed as offensive, not unsuitable for a game."""
    return not (word in UNSUITABLE or is_profane_word(word) or wordnet.offensive(word))


def category_of(word: str, wordnet: WordNet) -> Category | None:
    """The category of the word's most common noun sense, if it has one."""
    senses = wordnet.noun_senses.get(word)
    if not senses or word not in wordnet.ranked or not wordnet.mostly_a_noun(word):
        return None
    first = senses[0]
    synset = wordnet.synsets[first]
    if word not in synset.words:
        return None
    lineage = wordnet.ancestors(first) | {first}
    for category in CATEGORIES:
        if synset.lexfile in category.lexfiles or lineage & category.ancestors:
            return category
    return None


def is_plural_in_category(word: str, category: Category, wordnet: WordNet) -> bool:
    """Whether ``word`` is the regular plural of another word of ``category`` ("cows")."""
    singulars = [word[: -len(ending)] for ending in ("s", "es") if word.endswith(ending)]
    if word.endswith("ies"):
        singulars.append(word[:-3] + "y")
    return any(category_of(singular, wordnet) == category for singular in singulars)


def build(candidates: set[str], wordnet: WordNet) -> dict[str, dict[str, list[str]]]:
    """Category -> difficulty -> sorted words."""
    frequency = {word: zipf_frequency(word, "en") for word in candidates}
    members: dict[str, set[str]] = defaultdict(set)
    for word in candidates:
        if not acceptable(word, wordnet):
            continue
        category = category_of(word, wordnet)
        if (
            category is not None
            and frequency[word] >= MIN_CATEGORY_ZIPF
            and not is_plural_in_category(word, category, wordnet)
        ):
            members[category.name].add(word)
        if (
            word in wordnet.lemmas
            and word not in wordnet.place_names
            and frequency[word] >= MIN_GENERAL_ZIPF
            and len(word) <= MAX_GENERAL_LENGTH
        ):
            members[GENERAL.name].add(word)
    lists: dict[str, dict[str, list[str]]] = {}
    for name, words in members.items():
        by_difficulty: dict[str, list[str]] = {"easy": [], "medium": [], "hard": []}
        for word in sorted(words):
            by_difficulty[difficulty_of(word, frequency[word])].append(word)
        if min(len(words) for words in by_difficulty.values()) >= MIN_WORDS_PER_DIFFICULTY:
            lists[name] = by_difficulty
        else:
            sys.stderr.write(f"leaving out {name}: too few words in a difficulty\n")
    return lists


def render(lists: dict[str, dict[str, list[str]]]) -> str:
    descriptions = {category.name: category.description for category in (*CATEGORIES, GENERAL)}
    document = {
        "generated_by": "scripts/build_hangman_words.py",
        "sources": "wamerican (SCOWL), WordNet 3.0, wordfreq; see SOURCES.md",
        "categories": {
            name: {"description": descriptions[name], **lists[name]} for name in sorted(lists)
        },
    }
    return json.dumps(document, indent=1, sort_keys=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
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
    lists = build(read_candidates(arguments.word_list), read_wordnet(arguments.wordnet))
    arguments.output.write_text(render(lists), encoding="utf-8")
    for name, by_difficulty in sorted(lists.items()):
        counts = ", ".join(f"{level} {len(words)}" for level, words in by_difficulty.items())
        sys.stdout.write(f"{name}: {counts}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
