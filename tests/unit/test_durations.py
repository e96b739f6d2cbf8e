"""StandardTime: the document's Mutu Baku times, parsed and said in both languages."""

from __future__ import annotations

import pytest

from sop_runner.catalog import StandardTime
from sop_runner.errors import SopError


@pytest.mark.parametrize(
    ("value", "low", "high"),
    [
        ("10m", 600, 600),
        ("30s", 30, 30),
        ("2h", 7200, 7200),
        ("1d", 86400, 86400),
        ("1d-3d", 86400, 3 * 86400),
        ("15m-30m", 900, 1800),
        ("30m-4h", 1800, 14400),
    ],
)
def test_parse(value: str, low: int, high: int) -> None:
    assert StandardTime.parse(value) == StandardTime(low, high)


@pytest.mark.parametrize(
    "value",
    [
        "",
        "10",
        "m",
        "10 m",
        "10min",
        "2 hours",
        "1.5h",
        "-5m",
        "1d-",
        "1d-3",
        "0m",
        "3d-1d",
        "1d-1d",
        "10M",
        "1w",
    ],
)
def test_parse_rejects(value: str) -> None:
    with pytest.raises(SopError, match=r"waktu baku .* tidak diizinkan"):
        StandardTime.parse(value)


def test_parse_rejects_non_string() -> None:
    with pytest.raises(SopError, match="pakai bilangan bulat dan satuan"):
        StandardTime.parse(10)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "text_id", "text_en"),
    [
        ("10m", "10 menit", "10 minutes"),
        ("1m", "1 menit", "1 minute"),
        ("1d-3d", "1–3 hari", "1–3 days"),
        ("15m-30m", "15–30 menit", "15–30 minutes"),
        ("30m-240m", "30–240 menit", "30–240 minutes"),
        ("120m", "2 jam", "2 hours"),
        ("1h", "1 jam", "1 hour"),
        ("8h", "8 jam", "8 hours"),
        ("1d", "1 hari", "1 day"),
        ("45s", "45 detik", "45 seconds"),
    ],
)
def test_text_both_languages(value: str, text_id: str, text_en: str) -> None:
    standard = StandardTime.parse(value)
    assert standard.text("id") == text_id
    assert standard.text() == text_id  # Indonesian is the default, as in the reports
    assert standard.text("en") == text_en


def test_text_rejects_unknown_language() -> None:
    with pytest.raises(SopError, match="bahasa 'de' tidak diizinkan; pakai 'id' atau 'en'"):
        StandardTime.parse("10m").text("de")


@pytest.mark.parametrize("value", ["10m", "2h", "1d-3d", "30m-240m", "90s"])
def test_normalized_round_trips(value: str) -> None:
    standard = StandardTime.parse(value)
    assert StandardTime.parse(standard.normalized) == standard
    assert str(standard) == standard.normalized


def test_range_flag() -> None:
    assert StandardTime.parse("1d-3d").is_range
    assert not StandardTime.parse("1d").is_range


def test_direct_construction_is_checked() -> None:
    with pytest.raises(SopError, match="tidak boleh sebelum awalnya"):
        StandardTime(600, 60)
