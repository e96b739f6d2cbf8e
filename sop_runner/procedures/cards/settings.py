"""What a site configures for its control cards: the ``kartu_kontrol`` key of ``site.yml``.

``site.yml`` lives beside the inventory and is trusted like it (the trust root names
the inventory).  Everything has a default, so a site without the key gets the office
hours of a Pemda working week, no holidays, a 25 % fuel threshold, the ASHRAE
recommended envelope, and no UPS or sensor (readings are typed by hand)::

    kartu_kontrol:
      jam_kerja: {senin: "07:30-16:00", jumat: "07:30-11:30"}   # days not named: no work
      hari_libur: ["2026-12-25"]
      bahan_bakar_min_persen: 25
      standar: {suhu_c: [18, 27], titik_embun_c: [5.5, 15], kelembaban_maks_persen: 60,
                suhu_diizinkan_c: [15, 32], kelembaban_diizinkan_persen: [20, 80]}
      ups: [{tempat: server-farm, nama: sim, host: 127.0.0.1, port: 3493, simulasi: true}]
      sensor: [{tempat: server-farm, host: 127.0.0.1, port: 161, community: public,
                oid_suhu: "…", oid_kelembaban: "…", simulasi: true}]
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from sop_runner import yamlio
from sop_runner.errors import SopError
from sop_runner.i18n import _
from sop_runner.procedures.cards.policy import DAYS, Envelope, WorkingHours, parse_span

KEY = "kartu_kontrol"
DEFAULT_HOURS = {
    "senin": "07:30-16:00",
    "selasa": "07:30-16:00",
    "rabu": "07:30-16:00",
    "kamis": "07:30-16:00",
    "jumat": "07:30-11:30",
}


@dataclass(frozen=True)
class Ups:
    """A UPS read through NUT (``upsc NAME@HOST:PORT``) for the cards of one place."""

    place: str
    name: str
    host: str = "127.0.0.1"
    port: int = 3493
    simulated: bool = False

    @property
    def address(self) -> str:
        return f"{self.name}@{self.host}:{self.port}"


@dataclass(frozen=True)
class Sensor:
    """A room temperature and humidity sensor read over SNMP v2c (Net-SNMP ``snmpget``)."""

    place: str
    host: str
    oid_temperature: str
    oid_humidity: str
    port: int = 161
    community: str = "public"
    simulated: bool = False


@dataclass(frozen=True)
class CardSettings:
    """The control cards' configuration of a site."""

    hours: WorkingHours
    fuel_minimum: float = 25.0
    envelope: Envelope = field(default_factory=Envelope)
    ups: tuple[Ups, ...] = ()
    sensors: tuple[Sensor, ...] = ()

    def ups_of(self, place: str) -> Ups | None:
        """Given a place, return its UPS (the first named for it), or None."""
        return next((u for u in self.ups if u.place == place), None)

    def sensor_of(self, place: str) -> Sensor | None:
        """Given a place, return its room sensor, or None."""
        return next((s for s in self.sensors if s.place == place), None)


def _pair(value: Any, where: str) -> tuple[float, float]:
    if (
        not isinstance(value, list)
        or len(value) != 2
        or not all(isinstance(v, int | float) for v in value)
        or not value[0] < value[1]
    ):
        raise SopError(
            _("{where}: must be [LOW, HIGH], two numbers, low first").format(where=where)
        )
    return float(value[0]), float(value[1])


def _number(value: Any, where: str, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise SopError(
            _("{where}: {value!r} is not allowed; use a number from {low:g} to {high:g}").format(
                where=where, value=value, low=low, high=high
            )
        )
    return float(value)


def _hours(data: dict[str, Any], where: str) -> WorkingHours:
    spans = data.get("jam_kerja", DEFAULT_HOURS)
    if not isinstance(spans, dict):
        raise SopError(
            _("{where}.jam_kerja: must map days ({days}) to 'HH:MM-HH:MM'").format(
                where=where, days=", ".join(DAYS)
            )
        )
    days = {}
    for day, text in spans.items():
        if day not in DAYS:
            raise SopError(
                _("{where}.jam_kerja.{day}: not a day; use {days}").format(
                    where=where, day=day, days=", ".join(DAYS)
                )
            )
        days[DAYS.index(day)] = parse_span(text, f"{where}.jam_kerja.{day}")
    holidays = set()
    for index, text in enumerate(data.get("hari_libur") or []):
        try:
            holidays.add(text if isinstance(text, date) else date.fromisoformat(str(text)))
        except ValueError:
            raise SopError(
                _("{where}.hari_libur[{index}]: {text!r} is not a date YYYY-MM-DD").format(
                    where=where, index=index, text=text
                )
            ) from None
    return WorkingHours(days, frozenset(holidays))


def _envelope(data: Any, where: str) -> Envelope:
    if data is None:
        return Envelope()
    if not isinstance(data, dict):
        raise SopError(
            _("{where}: must be a mapping (suhu_c, titik_embun_c, …)").format(where=where)
        )
    base = Envelope()
    known = {
        "suhu_c",
        "titik_embun_c",
        "kelembaban_maks_persen",
        "suhu_diizinkan_c",
        "kelembaban_diizinkan_persen",
    }
    for key in data:
        if key not in known:
            raise SopError(
                _("{where}.{key}: unknown; use {allowed}").format(
                    where=where, key=key, allowed=", ".join(sorted(known))
                )
            )
    return Envelope(
        temperature=_pair(data.get("suhu_c", list(base.temperature)), f"{where}.suhu_c"),
        dew_point=_pair(data.get("titik_embun_c", list(base.dew_point)), f"{where}.titik_embun_c"),
        humidity_max=_number(
            data.get("kelembaban_maks_persen", base.humidity_max),
            f"{where}.kelembaban_maks_persen",
            0,
            100,
        ),
        allowable_temperature=_pair(
            data.get("suhu_diizinkan_c", list(base.allowable_temperature)),
            f"{where}.suhu_diizinkan_c",
        ),
        allowable_humidity=_pair(
            data.get("kelembaban_diizinkan_persen", list(base.allowable_humidity)),
            f"{where}.kelembaban_diizinkan_persen",
        ),
    )


def _entries(data: Any, where: str) -> list[dict[str, Any]]:
    if data is None:
        return []
    if not isinstance(data, list) or not all(isinstance(e, dict) for e in data):
        raise SopError(_("{where}: must be a list of mappings").format(where=where))
    for index, entry in enumerate(data):
        if not str(entry.get("tempat", "")).strip():
            raise SopError(
                _("{where}[{index}].tempat: required (a place of the site)").format(
                    where=where, index=index
                )
            )
    return data


def _port(value: Any, where: str) -> int:
    return int(_number(value, where, 1, 65535))


def _ups(data: Any, where: str) -> tuple[Ups, ...]:
    found = []
    for index, entry in enumerate(_entries(data, where)):
        at = f"{where}[{index}]"
        if not str(entry.get("nama", "")).strip():
            raise SopError(
                _("{at}.nama: required (the UPS's name in NUT's ups.conf)").format(at=at)
            )
        found.append(
            Ups(
                place=str(entry["tempat"]),
                name=str(entry["nama"]),
                host=str(entry.get("host", "127.0.0.1")),
                port=_port(entry.get("port", 3493), f"{at}.port"),
                simulated=bool(entry.get("simulasi", False)),
            )
        )
    return tuple(found)


def _sensors(data: Any, where: str) -> tuple[Sensor, ...]:
    found = []
    for index, entry in enumerate(_entries(data, where)):
        at = f"{where}[{index}]"
        for key in ("host", "oid_suhu", "oid_kelembaban"):
            if not str(entry.get(key, "")).strip():
                raise SopError(_("{at}.{key}: required").format(at=at, key=key))
        found.append(
            Sensor(
                place=str(entry["tempat"]),
                host=str(entry["host"]),
                oid_temperature=str(entry["oid_suhu"]),
                oid_humidity=str(entry["oid_kelembaban"]),
                port=_port(entry.get("port", 161), f"{at}.port"),
                community=str(entry.get("community", "public")),
                simulated=bool(entry.get("simulasi", False)),
            )
        )
    return tuple(found)


def parse_settings(data: Any, where: str) -> CardSettings:
    """Given the value of ``kartu_kontrol`` (or None), return the settings.

    Raise SopError naming the field (``where`` is its place, e.g. the file) if malformed.
    """
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise SopError(
            _("{where}: must be a mapping (jam_kerja, hari_libur, …)").format(where=where)
        )
    return CardSettings(
        hours=_hours(data, where),
        fuel_minimum=_number(
            data.get("bahan_bakar_min_persen", 25), f"{where}.bahan_bakar_min_persen", 0, 100
        ),
        envelope=_envelope(data.get("standar"), f"{where}.standar"),
        ups=_ups(data.get("ups"), f"{where}.ups"),
        sensors=_sensors(data.get("sensor"), f"{where}.sensor"),
    )


def load_settings(folder: Path) -> CardSettings:
    """Given the inventory's folder, return the control cards' settings of its ``site.yml``.

    Raise SopError naming the file and the field when it is malformed.
    """
    path = folder / "site.yml"
    data: Any = {}
    if path.exists():
        try:
            data = yamlio.load(path.read_text()) or {}
        except yaml.YAMLError:
            raise SopError(_("site {path}: not valid YAML").format(path=path)) from None
    section = data.get(KEY) if isinstance(data, dict) else None
    return parse_settings(section, f"site {path}: {KEY}")
