"""Finding members' time zones the way they type them."""

from __future__ import annotations

import re

import pytest

from botfleet.bots.utility.services.timezones import (
    UnknownTimezoneError,
    all_zones,
    resolve_zone,
    search_zones,
)

ZONES = all_zones()


def test_the_zone_list_is_the_iana_database_without_legacy_aliases() -> None:
    assert "Europe/Paris" in ZONES and "America/New_York" in ZONES and "UTC" in ZONES
    assert not [zone for zone in ZONES if zone.startswith(("Etc/", "SystemV/"))]
    assert list(ZONES) == sorted(ZONES)


@pytest.mark.parametrize(
    ("typed", "first"),
    [("paris", "Europe/Paris"), ("new y", "America/New_York"), ("europe/ber", "Europe/Berlin")],
)
def test_autocomplete_puts_city_and_zone_prefixes_first(typed: str, first: str) -> None:
    assert search_zones(typed, ZONES)[0] == first


def test_autocomplete_offers_at_most_25_and_utc_first_when_empty() -> None:
    assert len(search_zones("a", ZONES)) == 25
    assert search_zones("", ZONES)[0] == "UTC"
    assert search_zones("zzzz", ZONES) == []


@pytest.mark.parametrize(
    ("typed", "zone"),
    [
        ("Europe/Paris", "Europe/Paris"),
        ("europe/paris", "Europe/Paris"),
        ("new york", "America/New_York"),
        ("Tokyo", "Asia/Tokyo"),
        ("utc", "UTC"),
    ],
)
def test_resolves_exact_names_in_any_case_and_unique_cities(typed: str, zone: str) -> None:
    assert resolve_zone(typed, ZONES) == zone


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("UTC+2", "I don't know the time zone “UTC+2”"),
        ("Pariss", "Did you mean"),
        ("   ", "Please give a time zone"),
    ],
)
def test_unknown_zones_are_refused_with_a_hint(typed: str, message: str) -> None:
    with pytest.raises(UnknownTimezoneError, match=re.escape(message)):
        resolve_zone(typed, ZONES)
