"""The level curve: known values of the 5·L² + 50·L + 100 curve, and exactness for any curve."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from botfleet.gamification.levels import DEFAULT_CURVE, FIRST_LEVEL, LevelCurve

curves = st.builds(
    LevelCurve,
    quadratic=st.integers(0, 50),
    linear=st.integers(0, 500),
    constant=st.integers(1, 5000),
)
levels = st.integers(FIRST_LEVEL, 5000)
xp_totals = st.integers(0, 10**12)


def test_the_default_curve_costs_what_the_widely_used_one_does() -> None:
    # Cost of each level-up: 5n² + 50n + 100 with n level-ups already gained.
    assert [DEFAULT_CURVE.xp_for_level(level) for level in (1, 2, 3, 10, 11)] == [
        100,
        155,
        220,
        955,
        1100,
    ]
    assert DEFAULT_CURVE.total_xp_for_level(1) == 0
    assert DEFAULT_CURVE.total_xp_for_level(2) == 100
    assert DEFAULT_CURVE.total_xp_for_level(3) == 255
    assert DEFAULT_CURVE.total_xp_for_level(11) == sum(5 * n * n + 50 * n + 100 for n in range(10))


@pytest.mark.parametrize(
    ("total_xp", "level", "into", "span"),
    [(0, 1, 0, 100), (99, 1, 99, 100), (100, 2, 0, 155), (254, 2, 154, 155), (255, 3, 0, 220)],
)
def test_progress_at_the_boundaries(total_xp: int, level: int, into: int, span: int) -> None:
    progress = DEFAULT_CURVE.progress(total_xp)

    assert (progress.level, progress.xp_into_level, progress.xp_for_level) == (level, into, span)
    assert progress.xp_to_next_level == span - into
    assert progress.fraction == into / span


@given(curves, levels)
def test_reaching_a_level_takes_exactly_its_total(curve: LevelCurve, level: int) -> None:
    total = curve.total_xp_for_level(level)

    assert curve.level_for_xp(total) == level
    if level > FIRST_LEVEL:
        assert curve.level_for_xp(total - 1) == level - 1
    assert curve.total_xp_for_level(level + 1) - total == curve.xp_for_level(level)


@given(curves, xp_totals)
def test_progress_decomposes_every_total_exactly(curve: LevelCurve, total_xp: int) -> None:
    progress = curve.progress(total_xp)

    assert curve.total_xp_for_level(progress.level) + progress.xp_into_level == total_xp
    assert 0 <= progress.xp_into_level < progress.xp_for_level
    assert 0.0 <= progress.fraction < 1.0


@given(curves, xp_totals, xp_totals)
def test_more_xp_never_means_a_lower_level(curve: LevelCurve, first: int, second: int) -> None:
    low, high = sorted((first, second))

    assert curve.level_for_xp(low) <= curve.level_for_xp(high)


@given(curves, levels)
def test_every_level_costs_more_than_the_one_before(curve: LevelCurve, level: int) -> None:
    assert curve.xp_for_level(level + 1) >= curve.xp_for_level(level) >= 1
    assert curve.total_xp_for_level(level + 1) > curve.total_xp_for_level(level)


def test_invalid_inputs_are_refused() -> None:
    with pytest.raises(ValueError, match="cannot be negative"):
        DEFAULT_CURVE.level_for_xp(-1)
    with pytest.raises(ValueError, match="Levels start at 1"):
        DEFAULT_CURVE.xp_for_level(0)
    with pytest.raises(ValueError, match="constant >= 1"):
        LevelCurve(quadratic=0, linear=0, constant=0)
    with pytest.raises(ValueError, match="quadratic >= 0"):
        LevelCurve(quadratic=-1)
