"""The shipped word data is exactly what the build scripts make from their sources.

Each script rebuilds its file in memory and compares it byte for byte with the shipped one
(``--check``): the data is reproducible, and no word the content policy flags can come back
through a rebuild, since the scripts apply the same policy the tests do.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

REPOSITORY = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    "script",
    [
        "build_hangman_words.py",
        "build_spelling_bee_words.py",
        "build_spelling_bee_definitions.py",
    ],
)
def test_a_rebuild_makes_the_shipped_file_byte_for_byte(
    script: str, system_data: Callable[[str, str], Path]
) -> None:
    word_list = system_data("/usr/share/dict/american-english", "wamerican")
    wordnet = system_data("/usr/share/wordnet", "wordnet-base")
    result = subprocess.run(
        [
            sys.executable,
            str(REPOSITORY / "scripts" / script),
            "--check",
            "--word-list",
            str(word_list),
            "--wordnet",
            str(wordnet),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
