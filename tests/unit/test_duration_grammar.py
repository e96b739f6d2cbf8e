"""The one duration grammar (sop_runner/durations.py) every option reads."""

from __future__ import annotations

from datetime import timedelta

import pytest

from sop_runner import durations
from sop_runner.errors import SopError


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("90m", 5400), ("1h30m", 5400), ("2d", 172800), ("45s", 45), ("1d12h", 129600), ("8H", 28800)],
)
def test_forms_read(text: str, seconds: int) -> None:
    assert durations.parse(text, "--x") == timedelta(seconds=seconds)


def test_bare_number_only_with_a_unit_for_it() -> None:
    assert durations.parse("30", "--duration", bare_unit="m") == timedelta(minutes=30)
    with pytest.raises(SopError, match="--expires: '30' bukan durasi"):
        durations.parse("30", "--expires")


@pytest.mark.parametrize("text", ["", "0m", "m", "1.5h", "30m1h", "-5m", "1 h", "abc", "1w"])
def test_malformed_or_zero_is_one_line(text: str) -> None:
    with pytest.raises(SopError) as error:
        durations.parse(text, "--by")
    assert str(error.value).startswith("--by: ") and "\n" not in str(error.value)


@pytest.mark.parametrize("text", ["99999999999999999999h", "3650000d", "36501d"])
def test_absurd_numbers_are_refused_before_any_overflow(text: str) -> None:
    with pytest.raises(
        SopError, match="lebih lama dari yang diizinkan; yang diizinkan: paling lama 36500d"
    ):
        durations.parse(text, "--duration")


def test_maximum_is_named_in_the_refusal() -> None:
    assert durations.parse("8h", "--duration", maximum=timedelta(hours=8)) == timedelta(hours=8)
    with pytest.raises(SopError, match="paling lama 8h"):
        durations.parse("8h1s", "--duration", maximum=timedelta(hours=8))


@pytest.mark.parametrize("seconds", [1, 59, 60, 3600, 5400, 86400, 129601])
def test_compact_reads_back(seconds: int) -> None:
    value = timedelta(seconds=seconds)
    assert durations.parse(durations.compact(value), "--x") == value


def test_words() -> None:
    assert durations.words(3725, "id") == "1 jam 2 menit"
    assert durations.words(3725, "en") == "1 h 2 min"
    assert durations.words(0, "id") == "0 detik"
    assert durations.words(None, "id") == ""
