"""The rule layer: every rule's own examples, the rules file's checks, and the merge with Harper."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from botfleet.bots.grammar.config import GrammarOptions
from botfleet.bots.grammar.services.checker import GrammarChecker, build_checker
from botfleet.bots.grammar.services.corrections import apply_suggestion
from botfleet.bots.grammar.services.harper_engine import HarperEngine
from botfleet.bots.grammar.services.rule_engine import RuleEngine
from botfleet.bots.grammar.services.rules import Rule, RuleError, load_rules

RULES = load_rules().rules
WRONG = [
    pytest.param(rule, example.text, example.corrected, id=f"{rule.id}: {example.text}")
    for rule in RULES
    for example in rule.wrong
]
RIGHT = [
    pytest.param(rule, example.text, id=f"{rule.id}: {example.text}")
    for rule in RULES
    for example in rule.right
]


def _findings(engine: RuleEngine, rule: Rule, text: str) -> list[tuple[int, int, str]]:
    issues = engine.rules.find(text, engine.tokens(text), [rule])
    return [(issue.start, issue.end, apply_suggestion(text, issue)) for issue in issues]


@pytest.mark.parametrize(("rule", "text", "corrected"), WRONG)
def test_each_rule_flags_its_wrong_examples_with_the_fix(
    rule_engine: RuleEngine, rule: Rule, text: str, corrected: str
) -> None:
    found = _findings(rule_engine, rule, text)
    assert [fixed for _, _, fixed in found] == [corrected]


@pytest.mark.parametrize(("rule", "text"), RIGHT)
def test_each_rule_leaves_its_right_examples(
    rule_engine: RuleEngine, rule: Rule, text: str
) -> None:
    assert _findings(rule_engine, rule, text) == []


async def test_rule_findings_merge_with_harper_without_duplicates(
    harper_engine: HarperEngine, rule_engine: RuleEngine
) -> None:
    checker = GrammarChecker(GrammarOptions(), [harper_engine, rule_engine])
    text = "You should of known. Me and him went there and there is two left."
    result = await checker.check_text(text)
    found = [(issue.excerpt(text), issue.engine) for issue in result.issues]
    assert found == [
        ("should of", "harper"),
        ("Me and him", "rules"),
        ("there is", "rules"),
    ]
    assert len({(issue.start, issue.end) for issue in result.issues}) == len(result.issues)


async def test_a_text_without_a_rule_word_is_not_tagged(rule_engine: RuleEngine) -> None:
    text = "Deploy the worker, restart nginx"
    assert rule_engine.rules.candidates(text) == []
    assert await rule_engine.check(text, "en-US") == []


def test_the_default_checker_runs_the_rules_between_harper_and_spelling() -> None:
    checker = build_checker(GrammarOptions())
    assert [engine.name for engine in checker.engines] == ["harper", "rules", "spelling"]
    assert [engine.name for engine in build_checker(GrammarOptions(rules=False)).engines] == [
        "harper",
        "spelling",
    ]


RULE = """
  - id: SAMPLE
    category: grammar
    message: A message.
    explanation: Why.
    pattern: [{text: less}, {tag: NNS}]
    examples: {wrong: {"less cats": "fewer cats"}, right: ["less time"]}
"""


@pytest.mark.parametrize(
    ("change", "error"),
    [
        (("SAMPLE", "sample"), "UPPER_SNAKE_CASE"),
        (("category: grammar", "category: nonsense"), "unknown category"),
        (("{tag: NNS}", "{tags: NNS}"), "unknown token conditions ['tags']"),
        (('right: ["less time"]', "right: []"), "examples need both"),
        (("{text: less}, {tag: NNS}", "{text: less, optional: true}"), "not optional"),
        (("pattern:", "mark: [0, 5]\n    pattern:"), "mark must be"),
        (("    message: A message.\n", ""), "message is missing"),
    ],
)
def test_a_malformed_rule_is_refused_with_its_name(
    tmp_path: Path, change: tuple[str, str], error: str
) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text("rules:\n" + RULE.replace(*change), encoding="utf-8")
    with pytest.raises(RuleError, match=re.escape(error)):
        load_rules(path)


def test_a_rule_id_used_twice_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text("rules:\n" + RULE + RULE, encoding="utf-8")
    with pytest.raises(RuleError, match="used twice: SAMPLE"):
        load_rules(path)
