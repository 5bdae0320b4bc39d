"""The Grammar Bot's quality and speed on an evaluation corpus, Harper alone beside the checker.

Run::

    .venv/bin/python benchmarks/grammar_quality.py

The corpus is ``grammar_corpus.txt`` beside this file (its header says the format). Both checkers
read every sentence in the same run, with the options the bot runs with by default; a finding
counts when it is pointed out at the ``normal`` strictness (auto-check's default). Printed, never
asserted:

* **recall by class**: the share of the sentences with a mistake of that class where a finding
  touches the bracketed words;
* **precision**: the share of all findings that touch a bracketed mistake;
* **false alarms per 100 correct sentences**: findings on sentences without a mistake;
* **p50 / p99 time per sentence**: one whole check, engines in their threads as in the bot,
  for every sentence and for the technical ones (full of words no dictionary knows); and the
  process's CPU time per check, which a busy shared machine inflates far less.

Every third sentence of each class is held out (written with the rest, never looked at while
the rules were written), and so is every sentence after the corpus's ``# held out from here``
line (correct sentences written after the rules); their figures are printed apart.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import statistics
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from botfleet.bots.grammar.config import GrammarOptions
from botfleet.bots.grammar.services.checker import GrammarChecker, build_checker
from botfleet.bots.grammar.services.harper_engine import HarperEngine
from botfleet.bots.grammar.services.issues import Issue, Strictness

CORPUS: Final = Path(__file__).with_name("grammar_corpus.txt")
CORRECT: Final = "correct"
HELD_OUT_EVERY: Final = 3
HELD_OUT_FROM_HERE: Final = "# held out from here"
"""A corpus line after which every sentence is held out (written after the rules were)."""
_MARKED: Final = re.compile(r"\[([^\]]*)\]")
UNKNOWN_WORD_LINES: Final = (
    "run kubeadm, istioctl, vcpkg, zstd and pgbouncer on the node",
    "Ask Priya, Xochitl, Oluwaseun, Tadeusz and Siobhan about it.",
    "I typed asdfghjkl and qwertzuiop by mistake lol",
    "Deploy with kustomize, skaffold, tilt and minikube tonight.",
)
"""Lines full of words no dictionary knows (tools, names, keyboard mash), each checked once by
the full checker before anything else in the run has seen its words: a dictionary's
suggestions for such words are what used to cost seconds."""


@dataclass(frozen=True, slots=True)
class Sentence:
    """One corpus line: the text without brackets, and the spans the brackets marked."""

    style: str
    kind: str
    text: str
    mistakes: tuple[tuple[int, int], ...]
    held_out: bool


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one checker made of one sentence."""

    sentence: Sentence
    findings: tuple[Issue, ...]
    seconds: float
    cpu_seconds: float
    """CPU time of the whole process (every thread) during the check: what other programs
    on a shared machine cannot inflate, unlike ``seconds``."""

    def true_findings(self) -> int:
        return sum(1 for issue in self.findings if _touches_mistake(issue, self.sentence))

    def caught(self) -> bool:
        return self.true_findings() > 0


def _touches_mistake(issue: Issue, sentence: Sentence) -> bool:
    return any(issue.start < end and start < issue.end for start, end in sentence.mistakes)


def read_corpus(path: Path = CORPUS) -> list[Sentence]:
    """The corpus's sentences; held out: every third of each class, and all past the marker."""
    sentences: list[Sentence] = []
    seen: Counter[str] = Counter()
    past_marker = False
    for line in path.read_text(encoding="utf-8").splitlines():
        past_marker = past_marker or line.strip() == HELD_OUT_FROM_HERE
        if not line.strip() or line.startswith("#"):
            continue
        style, kind, marked = (part.strip() for part in line.split("|", 2))
        text, mistakes = _unmark(marked)
        seen[kind] += 1
        held_out = past_marker or seen[kind] % HELD_OUT_EVERY == 0
        sentences.append(Sentence(style, kind, text, mistakes, held_out))
    return sentences


def _unmark(marked: str) -> tuple[str, tuple[tuple[int, int], ...]]:
    """The sentence without its brackets, and where the bracketed words are in it."""
    pieces: list[str] = []
    spans: list[tuple[int, int]] = []
    length = 0
    cursor = 0
    for match in _MARKED.finditer(marked):
        before = marked[cursor : match.start()]
        pieces.append(before)
        length += len(before)
        spans.append((length, length + len(match.group(1))))
        pieces.append(match.group(1))
        length += len(match.group(1))
        cursor = match.end()
    pieces.append(marked[cursor:])
    return "".join(pieces), tuple(spans)


async def run(checker: GrammarChecker, sentences: Sequence[Sentence]) -> list[Outcome]:
    """Check every sentence once, timing each check whole."""
    outcomes = []
    for sentence in sentences:
        began, cpu_began = time.perf_counter(), time.process_time()
        result = await checker.check(sentence.text, checker.options.language)
        seconds, cpu = time.perf_counter() - began, time.process_time() - cpu_began
        shown = result.shown_at(Strictness.NORMAL).issues
        outcomes.append(Outcome(sentence, shown, seconds, cpu))
    return outcomes


def _percentile(values: Sequence[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def summary(outcomes: Sequence[Outcome]) -> dict[str, float]:
    """The figures of one checker on some sentences, by name."""
    figures: dict[str, float] = {}
    by_class: dict[str, list[Outcome]] = defaultdict(list)
    for outcome in outcomes:
        by_class[outcome.sentence.kind].append(outcome)
    errors = [outcome for outcome in outcomes if outcome.sentence.kind != CORRECT]
    for kind, in_class in sorted(by_class.items()):
        if kind != CORRECT:
            figures[f"recall {kind}"] = _share(sum(o.caught() for o in in_class), len(in_class))
    figures["recall, all classes"] = _share(sum(o.caught() for o in errors), len(errors))
    findings = sum(len(outcome.findings) for outcome in outcomes)
    true = sum(outcome.true_findings() for outcome in outcomes)
    figures["precision"] = _share(true, findings)
    correct = by_class.get(CORRECT, [])
    false_alarms = sum(len(outcome.findings) for outcome in correct)
    figures["false alarms / 100 correct"] = 100 * false_alarms / max(1, len(correct))
    seconds = [outcome.seconds for outcome in outcomes]
    technical = [o.seconds for o in outcomes if o.sentence.style == "technical"]
    figures["p50 ms"] = 1000 * statistics.median(seconds)
    figures["p99 ms"] = 1000 * _percentile(seconds, 0.99)
    figures["p99 ms, technical"] = 1000 * _percentile(technical, 0.99)
    cpu = [outcome.cpu_seconds for outcome in outcomes]
    figures["CPU p50 ms"] = 1000 * statistics.median(cpu)
    figures["CPU p99 ms"] = 1000 * _percentile(cpu, 0.99)
    return figures


def _share(part: int, whole: int) -> float:
    return 100 * part / whole if whole else 0.0


def print_table(title: str, columns: dict[str, dict[str, float]]) -> None:
    names = list(next(iter(columns.values())))
    width = max(len(name) for name in names) + 2
    print(f"\n{title}")
    print("".ljust(width) + "".join(header.rjust(16) for header in columns))
    for name in names:
        cells = "".join(f"{figures[name]:16.1f}" for figures in columns.values())
        print(name.ljust(width) + cells)


def print_misses(outcomes: Sequence[Outcome]) -> None:
    """The development sentences the checker got wrong, to read (never the held-out ones)."""
    for outcome in outcomes:
        sentence = outcome.sentence
        if sentence.held_out:
            continue
        if sentence.kind == CORRECT and outcome.findings:
            flagged = ", ".join(
                f"{i.excerpt(sentence.text)!r} ({i.rule})" for i in outcome.findings
            )
            print(f"  false alarm: {sentence.text}  <- {flagged}")
        elif sentence.kind != CORRECT and not outcome.caught():
            print(f"  missed {sentence.kind}: {sentence.text}")


async def main(show_misses: bool) -> None:
    sentences = read_corpus()
    options = GrammarOptions()
    harper_alone = GrammarChecker(options, [HarperEngine(options.language)])
    full = build_checker(options)
    await asyncio.gather(harper_alone.start(), full.start())
    print("full checker:", "; ".join(full.status()))
    print("load average before the run: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    kinds = Counter(sentence.kind for sentence in sentences)
    print(f"{len(sentences)} sentences: " + ", ".join(f"{k} {n}" for k, n in sorted(kinds.items())))
    for checker in (harper_alone, full):  # one warm-up pass, so no figure pays for loading
        await run(checker, sentences[:20])
    print(
        "\nLines of unknown words, full checker (wall / CPU ms), first time seen and again: "
        "the difference is what the first sight of the words (their suggestions) costs"
    )
    for line in UNKNOWN_WORD_LINES:
        sentence = Sentence("technical", CORRECT, line, (), held_out=True)
        first, again = await run(full, [sentence, sentence])
        print(
            f"  {1000 * first.seconds:6.1f} / {1000 * first.cpu_seconds:5.1f}   "
            f"{1000 * again.seconds:6.1f} / {1000 * again.cpu_seconds:5.1f}  {line}"
        )
    harper_outcomes = await run(harper_alone, sentences)
    full_outcomes = await run(full, sentences)
    for title, wanted in (("All sentences", None), ("Development", False), ("Held out", True)):
        chosen = [
            (h, f)
            for h, f in zip(harper_outcomes, full_outcomes, strict=True)
            if wanted is None or h.sentence.held_out is wanted
        ]
        harper_figures = summary([h for h, _ in chosen])
        full_figures = summary([f for _, f in chosen])
        print_table(title, {"Harper alone": harper_figures, "full checker": full_figures})
        ratio = full_figures["recall, all classes"] / max(
            0.1, harper_figures["recall, all classes"]
        )
        print(f"recall, full / Harper: {ratio:.2f}x")
    print("load average after the run: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    if show_misses:
        print("\nDevelopment sentences the full checker got wrong:")
        print_misses(full_outcomes)
    await asyncio.gather(harper_alone.close(), full.close())


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "--misses", action="store_true", help="list the development sentences gotten wrong"
    )
    asyncio.run(main(parser.parse_args().misses))
