"""Build the Hangman Bot's word lists (``src/botfleet/bots/hangman/data/words.json``).

The bot reads only the JSON this writes, so running the fleet needs none of the sources below;
only rebuilding the lists does. On Debian or Ubuntu::

    apt-get install wamerican wordnet-base     # /usr/share/dict, /usr/share/wordnet
    make install                               # the data extra: wordfreq, better-profanity
    .venv/bin/python scripts/build_hangman_words.py

What goes in, and why:

* **Candidates** are the lowercase a–z entries of Debian's ``wamerican`` list (SCOWL): keeping
  lowercase entries drops proper nouns, countries and possessives.
* **Categories** come from WordNet 3.0: a word belongs to a category when its *most common*
  noun sense (WordNet lists senses by frequency) is of that kind, by WordNet's lexicographer
  file (``noun.animal``...) and/or by descending from a chosen concept ("animal", "clothing",
  "vehicle"...), and not from an excluded one (people are WordNet animals, "mankind"). The
  first sense must also hold most of the word's uses counted in SemCor (``cntlist.rev``), so
  "bolt" (lightning first, but as often a fastener) is in no category. A word mostly used as a
  verb or adjective ("down", "quiet") is left out, as is a plural whose singular is more
  common ("clocks", a plant in WordNet). Each category's lists were then read by eye, and the
  words whose everyday sense is another ("drone", "giant", "stole") are listed in its
  ``reviewed_out``. The ``general`` category is every common base word (a WordNet lemma of
  any part of speech) not also a place name ("china").
* **Difficulty** comes from ``wordfreq``'s Zipf frequency and the word's length: *easy* words
  are common and short, *hard* words are rare or long, *medium* is the rest.
* **Exclusions**: every word the fleet's content policy flags
  (:mod:`botfleet.services.content_policy`: the chat filter, ``better-profanity``'s list and
  our reviewed list), and any word WordNet glosses as obscene, vulgar, offensive, disparaging
  or a slur in any sense. The tests run the shipped lists through the same policy, so a
  rebuild cannot bring a flagged word back.

``--check`` rebuilds into memory and fails when the result differs from the shipped file, so
CI can prove the file is what this script makes from the sources.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from wordfreq import zipf_frequency

from botfleet.services.content_policy import is_family_safe

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
ANIMAL: Final = "00015388"
HOMINID: Final = "02471762"
"""People ("mankind", "humans") are of WordNet's animals, not of the game's."""
PLANT: Final = "00017222"
BODY_PART: Final = "05220461"
ALCOHOLIC_DRINK: Final = "07884567"
OFFENSIVE_GLOSS: Final = re.compile(
    r"\b(obscene|vulgar|offensive|slur|disparaging|derogatory|sex|sexual|erotic|genital\w*|"
    r"copulat\w*|buttocks|hymen|virgin\w*)\b"
)


@dataclass(frozen=True)
class Category:
    """A category of the game: what a word's most common sense must be to belong to it."""

    name: str
    description: str
    lexfiles: frozenset[int] = frozenset()
    """WordNet lexicographer files (``noun.animal``...) the sense must be in, if any."""
    ancestors: frozenset[str] = frozenset()
    """Synset offsets (data.noun) the sense must descend from, if any."""
    excluded: frozenset[str] = frozenset()
    """Synset offsets the sense must not descend from ("hominid" for the animals)."""
    reviewed_out: frozenset[str] = frozenset()
    """Words read by eye whose most common use is not of this category ("drone", "giant")."""

    def holds(self, word: str, lexfile: int, lineage: set[str]) -> bool:
        """Whether ``word``, whose most common sense has ``lexfile`` and ``lineage``, belongs."""
        return (
            (not self.lexfiles or lexfile in self.lexfiles)
            and (not self.ancestors or bool(lineage & self.ancestors))
            and not lineage & self.excluded
            and word not in self.reviewed_out
        )


CATEGORIES: Final = (
    Category(
        "animals",
        "Creatures of land, sea and air",
        lexfiles=frozenset({5}),
        ancestors=frozenset({ANIMAL}),
        excluded=frozenset({HOMINID}),
        reviewed_out=frozenset(
            {
                "beef",
                "charger",
                "drone",
                "equine",
                "feeder",
                "fetus",
                "foetus",
                "giant",
                "grizzly",
                "grubby",
                "mademoiselle",
                "pinto",
                "placental",
                "purebred",
                "reeve",
                "reptilian",
                "simian",
                "spawn",
            }
        ),
    ),
    Category(
        "food",
        "Things to eat and drink",
        lexfiles=frozenset({13}),
        excluded=frozenset({ALCOHOLIC_DRINK}),
        reviewed_out=frozenset(
            {
                "cuisine",
                "diet",
                "drinkable",
                "duff",
                "eats",
                "edible",
                "fizz",
                "fryer",
                "goody",
                "grist",
                "grub",
                "helping",
                "herbal",
                "nourishment",
                "organs",
                "perishable",
                "potable",
                "potion",
                "ration",
                "sustenance",
                "vegetarianism",
                "vintage",
            }
        ),
    ),
    Category(
        "plants",
        "Trees, flowers, herbs and crops",
        lexfiles=frozenset({20}),
        ancestors=frozenset({PLANT}),
        reviewed_out=frozenset(
            {
                "aquatic",
                "biennial",
                "flamboyant",
                "hepatic",
                "ornamental",
                "sang",
                "snowball",
                "spelt",
                "succulent",
            }
        ),
    ),
    Category(
        "body",
        "Parts of the body",
        lexfiles=frozenset({8}),
        ancestors=frozenset({BODY_PART}),
        reviewed_out=frozenset(
            {
                "cellulite",
                "colon",
                "cortex",
                "extremity",
                "leaflet",
                "maxillary",
                "noggin",
                "nucleus",
                "optic",
                "pathway",
                "pecs",
                "shunt",
                "thumbnail",
                "tissue",
                "umbilical",
                "valve",
                "vitals",
            }
        ),
    ),
    Category(
        "science",
        "Sciences, elements, particles, stars and natural phenomena",
        ancestors=frozenset({"05999797", "14622893", "09239740", "09272085", "11419404"}),
        reviewed_out=frozenset(
            {
                "affinity",
                "brimstone",
                "candlelight",
                "corona",
                "current",
                "easterly",
                "elements",
                "eugenics",
                "gaslight",
                "globe",
                "impetus",
                "pressure",
                "radiance",
                "southerly",
                "suction",
                "trig",
                "whiff",
            }
        ),
    ),
    Category(
        "jobs",
        "Trades and professions",
        ancestors=frozenset({"09632518", "10480253"}),
        reviewed_out=frozenset(
            {
                "accomplice",
                "auxiliary",
                "blaster",
                "bleacher",
                "counsel",
                "cropper",
                "demonstrator",
                "earner",
                "enforcer",
                "incumbent",
                "itinerant",
                "prof",
                "quack",
                "rower",
                "shill",
                "subordinate",
                "temp",
                "tracker",
                "vigilante",
            }
        ),
    ),
    Category(
        "clothing",
        "Things to wear",
        ancestors=frozenset({"03051540"}),
        reviewed_out=frozenset(
            {
                "corset",
                "derby",
                "laundry",
                "mini",
                "pontifical",
                "stole",
                "strapless",
                "wearable",
                "wraparound",
                "wrapper",
            }
        ),
    ),
    Category(
        "vehicles",
        "Ways to travel",
        ancestors=frozenset({"04524313"}),
        reviewed_out=frozenset({"dinky", "kamikaze", "missile", "shipwreck", "troika"}),
    ),
    Category(
        "buildings",
        "Places people build",
        ancestors=frozenset({"02913152"}),
        reviewed_out=frozenset(
            {
                "abattoir",
                "architecture",
                "coop",
                "dispensary",
                "grill",
                "madhouse",
                "slaughterhouse",
            }
        ),
    ),
    Category(
        "sports",
        "Sports and games people play",
        ancestors=frozenset({"00523513"}),
        reviewed_out=frozenset({"coursing", "ducking", "hoops", "trolling"}),
    ),
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
    sense_number_counts: dict[tuple[str, str], dict[int, int]]
    """(lemma, part of speech) -> sense number (1 the first) -> tagged occurrences in SemCor."""
    noun_bases: dict[str, set[str]]
    """Irregular plural -> its singulars, from WordNet's exception list ("elves": "elf")."""
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

    def first_sense_dominates(self, lemma: str) -> bool:
        """Whether most of the noun's tagged uses are of its first sense (true when untagged)."""
        counts = self.sense_number_counts.get((lemma, "n"), {})
        return 2 * counts.get(1, 0) > sum(counts.values()) or not counts

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
    sense_number_counts: dict[tuple[str, str], dict[int, int]] = defaultdict(dict)
    pos_of_type = {"1": "n", "2": "v", "3": "a", "4": "r", "5": "a"}
    for line in _data_lines(folder / "cntlist.rev"):
        key, sense_number, count = line.split()
        lemma, _, lex_sense = key.partition("%")
        pos = pos_of_type[lex_sense[0]]
        sense_counts[lemma][pos] += int(count)
        sense_number_counts[lemma, pos][int(sense_number)] = int(count)
    noun_bases: dict[str, set[str]] = defaultdict(set)
    for line in _data_lines(folder / "noun.exc"):
        form, *bases = line.split()
        noun_bases[form].update(bases)
    return WordNet(
        noun_senses,
        ranked,
        synsets,
        lemmas,
        dict(glosses),
        dict(sense_counts),
        dict(sense_number_counts),
        dict(noun_bases),
        place_names,
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
    """Family-safe by the fleet's content policy, and glossed as offensive in no sense."""
    return is_family_safe(word) and not wordnet.offensive(word)


def category_of(word: str, wordnet: WordNet) -> Category | None:
    """The category of the word's most common noun sense, if it has one."""
    senses = wordnet.noun_senses.get(word)
    if not senses or word not in wordnet.ranked or not wordnet.mostly_a_noun(word):
        return None
    first = senses[0]
    synset = wordnet.synsets[first]
    if word not in synset.words:
        return None
    if not wordnet.first_sense_dominates(word):
        return None
    lineage = wordnet.ancestors(first) | {first}
    for category in CATEGORIES:
        if category.holds(word, synset.lexfile, lineage):
            return category
    return None


def singulars_of(word: str, wordnet: WordNet) -> set[str]:
    """The WordNet nouns ``word`` may be the plural of ("cows": cow, "elves": elf)."""
    singulars = {word[: -len(ending)] for ending in ("s", "es") if word.endswith(ending)}
    if word.endswith("ies"):
        singulars.add(word[:-3] + "y")
    singulars |= wordnet.noun_bases.get(word, set())
    return {singular for singular in singulars if singular in wordnet.noun_senses}


def is_plural_of_a_commoner_word(
    word: str, frequency: Callable[[str], float], wordnet: WordNet
) -> bool:
    """Whether ``word`` is mostly the plural of another noun ("clocks", "humans", "elves").

    WordNet gives some plurals a sense of their own ("clocks", a plant); a player reads the
    plural of the common word, so such a word is left out of every category.
    """
    return any(frequency(singular) > frequency(word) for singular in singulars_of(word, wordnet))


def build(candidates: set[str], wordnet: WordNet) -> dict[str, dict[str, list[str]]]:
    """Category -> difficulty -> sorted words."""
    frequency = {word: zipf_frequency(word, "en") for word in candidates}

    def zipf_of(word: str) -> float:
        if word not in frequency:
            frequency[word] = zipf_frequency(word, "en")
        return frequency[word]

    members: dict[str, set[str]] = defaultdict(set)
    for word in candidates:
        category = category_of(word, wordnet)
        if (
            category is not None
            and frequency[word] >= MIN_CATEGORY_ZIPF
            and not is_plural_of_a_commoner_word(word, zipf_of, wordnet)
        ):
            members[category.name].add(word)
        if (
            word in wordnet.lemmas
            and word not in wordnet.place_names
            and frequency[word] >= MIN_GENERAL_ZIPF
            and len(word) <= MAX_GENERAL_LENGTH
        ):
            members[GENERAL.name].add(word)
    # Judged last: the content policy is the costly check, and most candidates are gone by now.
    judged = {word for words in members.values() for word in words}
    unfit = {word for word in judged if not acceptable(word, wordnet)}
    lists: dict[str, dict[str, list[str]]] = {}
    for name, words in members.items():
        by_difficulty: dict[str, list[str]] = {"easy": [], "medium": [], "hard": []}
        for word in sorted(words - unfit):
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


def write_or_check(path: Path, text: str, *, check: bool) -> bool:
    """Write ``text`` to ``path``; with ``check``, only whether the file already holds it."""
    if check:
        if path.exists() and path.read_text(encoding="utf-8") == text:
            return True
        sys.stderr.write(f"{path} is not what the sources build: run the script to rebuild it\n")
        return False
    path.write_text(text, encoding="utf-8")
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
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
    lists = build(read_candidates(arguments.word_list), read_wordnet(arguments.wordnet))
    if not write_or_check(arguments.output, render(lists), check=arguments.check):
        return 1
    for name, by_difficulty in sorted(lists.items()):
        counts = ", ".join(f"{level} {len(words)}" for level, words in by_difficulty.items())
        sys.stdout.write(f"{name}: {counts}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
