"""The control cards' rules (SOP 6.3, 6.4): working hours, the room envelope, the dew
point, fuel and device condition, and the site's ``kartu_kontrol`` settings."""

from __future__ import annotations

from datetime import date, datetime, time

import pytest

from sop_runner.errors import SopError
from sop_runner.procedures.cards.policy import (
    Envelope,
    WorkingHours,
    assess_climate,
    assess_condition,
    assess_fuel,
    check_genset_time,
    dew_point,
)
from sop_runner.procedures.cards.settings import parse_settings

OFFICE = WorkingHours(
    {d: (time(7, 30), time(16, 0)) for d in range(4)} | {4: (time(7, 30), time(11, 30))},
    frozenset({date(2026, 12, 25)}),
)


@pytest.mark.parametrize(
    ("moment", "inside"),
    [
        (datetime(2026, 11, 30, 10, 0), True),  # Monday 10:00
        (datetime(2026, 11, 30, 20, 0), False),  # Monday 20:00
        (datetime(2026, 11, 30, 16, 0), False),  # the end is outside
        (datetime(2026, 12, 4, 13, 0), False),  # Friday afternoon
        (datetime(2026, 12, 5, 10, 0), False),  # Saturday
        (datetime(2026, 12, 25, 10, 0), False),  # a holiday (Friday)
    ],
)
def test_working_hours_are_the_office_week_without_holidays(moment: datetime, inside: bool) -> None:
    assert OFFICE.inside(moment) is inside


def test_a_genset_test_in_working_hours_is_refused_unless_a_reason_is_given() -> None:
    with pytest.raises(SopError, match=r"--at: 2026-11-30 10:00 \(senin\) berada dalam jam kerja"):
        check_genset_time(datetime(2026, 11, 30, 10, 0), OFFICE, None)
    assert check_genset_time(datetime(2026, 11, 30, 10, 0), OFFICE, "PLN padam, uji darurat")
    assert check_genset_time(datetime(2026, 11, 30, 20, 0), OFFICE, None) is False


@pytest.mark.parametrize(
    ("temperature", "rh", "dew"),
    [(25.0, 50.0, 13.9), (20.0, 60.0, 12.0), (29.0, 40.0, 14.0), (18.0, 30.0, 0.2)],
)
def test_the_dew_point_is_the_magnus_formula(temperature: float, rh: float, dew: float) -> None:
    assert dew_point(temperature, rh) == pytest.approx(dew, abs=0.1)


def test_the_ashrae_envelope_flags_29_degrees_as_warning_and_35_as_critical() -> None:
    env = Envelope()
    assert assess_climate(23.0, 45.0, env).ok
    hot = assess_climate(29.0, 40.0, env)
    assert (hot.problems, hot.severity) == (("temperature_high",), "warning")
    very = assess_climate(35.0, 30.0, env)
    assert "beyond_allowable" in very.problems and very.severity == "critical"
    wet = assess_climate(24.0, 70.0, env)
    assert set(wet.problems) == {"dew_point_high", "humidity_high"}
    dry = assess_climate(20.0, 25.0, env)
    assert dry.problems == ("dew_point_low",)


def test_fuel_under_the_threshold_and_a_bad_device_are_problems() -> None:
    assert assess_fuel(40, 25).ok
    assert assess_fuel(20, 25).problems == ("fuel_low",)
    assert assess_fuel(10, 25).severity == "critical"
    assert assess_condition("baik", {"ups.status": "OL"}).ok
    assert assess_condition("tidak-baik").problems == ("condition_bad",)
    assert assess_condition("baik", {"ups.status": "OB LB"}).problems == (
        "ups_on_battery",
        "ups_low_battery",
    )


def test_settings_default_to_a_pemda_week_25_percent_and_ashrae() -> None:
    settings = parse_settings(None, "site")
    assert settings.fuel_minimum == 25
    assert settings.envelope == Envelope()
    assert settings.hours.inside(datetime(2026, 12, 1, 9, 0))
    assert not settings.hours.inside(datetime(2026, 12, 4, 13, 0))


def test_settings_read_hours_holidays_envelope_ups_and_sensor() -> None:
    settings = parse_settings(
        {
            "jam_kerja": {"senin": "08:00-15:00"},
            "hari_libur": ["2026-11-30"],
            "bahan_bakar_min_persen": 40,
            "standar": {"suhu_c": [20, 25]},
            "ups": [{"tempat": "server-farm", "nama": "sim", "port": 13493, "simulasi": True}],
            "sensor": [
                {
                    "tempat": "server-farm",
                    "host": "127.0.0.1",
                    "oid_suhu": ".1",
                    "oid_kelembaban": ".2",
                }
            ],
        },
        "site",
    )
    assert not settings.hours.inside(datetime(2026, 11, 30, 10, 0))  # a holiday now
    assert not settings.hours.inside(datetime(2026, 12, 1, 10, 0))  # Tuesday: not named
    assert settings.envelope.temperature == (20, 25)
    assert settings.ups_of("server-farm").address == "sim@127.0.0.1:13493"  # type: ignore[union-attr]
    assert settings.sensor_of("server-farm").port == 161  # type: ignore[union-attr]
    assert settings.sensor_of("ruang-kendali") is None


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"jam_kerja": {"senen": "07:00-15:00"}}, r"jam_kerja\.senen: bukan hari"),
        (
            {"jam_kerja": {"senin": "16:00-07:00"}},
            r"jam_kerja\.senin: '16:00-07:00' berakhir sebelum",
        ),
        ({"hari_libur": ["25-12-2026"]}, r"hari_libur\[0\]: '25-12-2026' bukan tanggal"),
        ({"bahan_bakar_min_persen": 120}, r"bahan_bakar_min_persen: 120 tidak diizinkan"),
        ({"standar": {"suhu_c": [27, 18]}}, r"standar\.suhu_c: harus \[LOW, HIGH\]"),
        ({"standar": {"panas": 1}}, r"standar\.panas: tidak dikenal"),
        ({"ups": [{"tempat": "server-farm"}]}, r"ups\[0\]\.nama: wajib"),
        ({"sensor": [{"tempat": "x", "host": "h"}]}, r"sensor\[0\]\.oid_suhu: wajib"),
    ],
)
def test_a_malformed_setting_names_its_field(data: dict[str, object], message: str) -> None:
    with pytest.raises(SopError, match=message):
        parse_settings(data, "site")


def test_every_word_of_the_cards_is_in_both_languages() -> None:
    from sop_runner.procedures.cards.words import WORDS

    assert set(WORDS["id"]) == set(WORDS["en"])
    assert all(WORDS["id"][key].strip() for key in WORDS["id"])
