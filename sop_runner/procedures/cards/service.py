"""Recording a control card entry (SOP 6.3, 6.4): checked, read, signed, followed up.

An entry is a signed action: the petugas' ed25519 signature over exactly the values
of the row is its paraf (audit entry ``card.entry``).  A problem (a device not good,
a UPS on battery, fuel under the threshold, a room outside the standard) opens the
report to the penanggung jawab with a recommendation (6.3 step 5, 6.4 step 4) and,
for the room, the adjustment record (6.4 step 3); the report is issued as an official
document and a notice goes out through the notifier at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from sop_runner import audit
from sop_runner.context import Context
from sop_runner.documents.naskah import load_naskah
from sop_runner.errors import SopError
from sop_runner.i18n import _
from sop_runner.notify import Delivery, Notice, send
from sop_runner.operators import require_role
from sop_runner.procedures.cards import policy, readers
from sop_runner.procedures.cards.models import CardEntry, CardFollowUp
from sop_runner.procedures.cards.settings import CardSettings, load_settings
from sop_runner.procedures.cards.words import WORDS
from sop_runner.site import load_site
from sop_runner.store.models import Request

# How far back an entry may be dated: a paper card is copied in within its month.
MAX_AGE = timedelta(days=31)
# A clock a few minutes ahead of the control node's is not the future yet.
SKEW = timedelta(minutes=5)
NOTICE_KIND = "monitoring.card"


@dataclass(frozen=True)
class EntryWish:
    """What the petugas typed for one card entry."""

    card: str
    place: str
    at: str | None = None
    component: str = ""
    condition: str = ""
    fuel_percent: float | None = None
    temperature_c: float | None = None
    humidity_percent: float | None = None
    from_sensor: bool = False
    read_ups: bool = True
    note: str = ""
    reason: str = ""
    recommendation: str = ""
    request_id: int | None = None


@dataclass
class Recorded:
    """An entry written, what it opened, the report's files and how the notice went."""

    entry: CardEntry
    followups: list[CardFollowUp] = field(default_factory=list)
    documents: list[Path] = field(default_factory=list)
    delivery: Delivery | None = None


def inventory_folder(ctx: Context) -> Path:
    """Given a context, return the folder of its inventory (where site.yml lives)."""
    inventory = ctx.settings.inventory
    return inventory if inventory.is_dir() else inventory.parent


def observed_time(at: str | None, now: datetime, zone: str) -> datetime:
    """Given --at (ISO, naive = the office's zone) or None, return the moment in UTC.

    Raise SopError if it is not a time, is in the future, or is older than a month.
    """
    if not at:
        return now.replace(microsecond=0)
    try:
        moment = datetime.fromisoformat(at)
    except ValueError:
        raise SopError(
            _("--at: {at!r} is not a date-time (e.g. 2026-11-30T20:00)").format(at=at)
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(zone))
    moment = moment.astimezone(UTC).replace(microsecond=0)
    if moment > now + SKEW:
        raise SopError(_("--at: {at} is in the future; record what was observed").format(at=at))
    if moment < now - MAX_AGE:
        raise SopError(
            _("--at: {at} is older than {days} days; a card is kept monthly").format(
                at=at, days=MAX_AGE.days
            )
        )
    return moment


def place_of(folder: Path, name: str) -> str:
    """Given the inventory folder and a --tempat, return the place. Raise SopError if unknown."""
    known = sorted(p.name for p in load_site(folder).places)
    if name not in known:
        raise SopError(
            _("--tempat: {name!r} is not a place of the site; allowed: {allowed}").format(
                name=name, allowed=", ".join(known)
            )
        )
    return name


def _problems_text(problems: list[str], settings: CardSettings, lang: str) -> list[str]:
    words, env = WORDS[lang], settings.envelope
    values = {
        "fuel_low": {"minimum": settings.fuel_minimum},
        "temperature_high": {"high": env.temperature[1]},
        "temperature_low": {"low": env.temperature[0]},
        "dew_point_high": {"high": env.dew_point[1]},
        "dew_point_low": {"low": env.dew_point[0]},
        "humidity_high": {"max": env.humidity_max},
        "beyond_allowable": {
            "low": env.allowable_temperature[0],
            "high": env.allowable_temperature[1],
        },
    }
    return [words[p].format(**values.get(p, {})) for p in problems]


def problems_text(entry: CardEntry, settings: CardSettings, lang: str) -> list[str]:
    """Given an entry and the settings, return its problems in words."""
    return _problems_text(list(entry.problems), settings, lang)


def recommend(problems: list[str], component: str, settings: CardSettings, lang: str) -> str:
    """Given an entry's problems, return the default recommended follow-up (6.3 step 5)."""
    words, texts = WORDS[lang], []
    if "condition_bad" in problems:
        texts.append(words["rec.condition_bad"].format(component=component))
    if any(p.startswith("ups_") for p in problems):
        texts.append(words["rec.ups"])
    if "fuel_low" in problems:
        texts.append(words["rec.fuel_low"].format(minimum=settings.fuel_minimum))
    if "temperature_high" in problems:
        texts.append(words["rec.temperature_high"])
    if "temperature_low" in problems:
        texts.append(words["rec.temperature_low"])
    if {"dew_point_high", "dew_point_low", "humidity_high"} & set(problems):
        texts.append(words["rec.humidity"])
    return " ".join(texts)


def _assess(
    wish: EntryWish, settings: CardSettings, place: str, local: datetime
) -> tuple[dict[str, Any], policy.Assessment]:
    """Given the wish, return the row's values and their assessment; read the devices."""
    values: dict[str, Any] = {"source": "manual", "readings": {}}
    if wish.card in ("listrik", "genset"):
        if wish.condition not in policy.CONDITIONS:
            raise SopError(
                _("--kondisi: {condition!r} is not allowed; use {allowed}").format(
                    condition=wish.condition, allowed=", ".join(policy.CONDITIONS)
                )
            )
        component = wish.component.strip() or ("generator set" if wish.card == "genset" else "")
        if not component:
            raise SopError(_("--komponen: required (MCB, ATS, timer, relay, …)"))
        values.update(component=component, condition=wish.condition)
        ups = settings.ups_of(place) if wish.card == "listrik" and wish.read_ups else None
        if ups is not None:
            values["readings"] = readers.read_ups(ups)
            values["source"] = f"nut:{ups.address}" + (" (simulasi)" if ups.simulated else "")
        if wish.card == "genset":
            flagged = policy.check_genset_time(local, settings.hours, wish.reason)
            values["outside_hours_reason"] = wish.reason.strip() if flagged else ""
        return values, policy.assess_condition(wish.condition, values["readings"] or None)
    if wish.card == "bbm":
        if wish.fuel_percent is None:
            raise SopError(_("--persen: required (the fuel level, 0 to 100 %)"))
        fuel = policy.check_range(wish.fuel_percent, 0, 100, "--persen", "%")
        values["fuel_percent"] = fuel
        return values, policy.assess_fuel(fuel, settings.fuel_minimum)
    if wish.from_sensor:
        sensor = settings.sensor_of(place)
        if sensor is None:
            raise SopError(
                _("--sensor: {place} has no sensor in site.yml kartu_kontrol.sensor").format(
                    place=place
                )
            )
        temperature, humidity = readers.read_sensor(sensor)
        values["source"] = f"snmp:{sensor.host}:{sensor.port}" + (
            " (simulasi)" if sensor.simulated else ""
        )
    else:
        if wish.temperature_c is None or wish.humidity_percent is None:
            raise SopError(_("--suhu and --rh: required unless --sensor reads the room's sensor"))
        temperature, humidity = wish.temperature_c, wish.humidity_percent
    temperature = policy.check_range(temperature, -20, 60, "--suhu", "°C")
    humidity = policy.check_range(humidity, 0.1, 100, "--rh", "%")
    assessment = policy.assess_climate(temperature, humidity, settings.envelope)
    values.update(
        temperature_c=temperature,
        humidity_percent=humidity,
        dew_point_c=assessment.values["dew_point_c"],
    )
    return values, assessment


def _check_request(ctx: Context, request_id: int, card: str, place: str) -> None:
    with ctx.session() as session:
        request = session.get(Request, request_id)
        if request is None:
            raise SopError(_("--permintaan: request {id} does not exist").format(id=request_id))
        wanted = policy.PROCEDURE_OF[card]
        if request.procedure_id != wanted:
            raise SopError(
                _(
                    "--permintaan: request {id} is SOP {procedure}; the {card} card belongs to "
                    "SOP {wanted}"
                ).format(id=request_id, procedure=request.procedure_id, card=card, wanted=wanted)
            )
        if place not in request.targets:
            raise SopError(
                _("--permintaan: request {id} acts on {targets}, not on {place}").format(
                    id=request_id, targets=", ".join(request.targets), place=place
                )
            )
        if request.status in ("cancelled", "closed"):
            raise SopError(
                _("--permintaan: request {id} is {status}").format(
                    id=request_id, status=request.status
                )
            )


def payload(entry: CardEntry) -> dict[str, Any]:
    """Given an entry, return what its paraf signs: every value of the row but its id."""
    return {
        "card": entry.card,
        "place": entry.place,
        "observed_at": entry.observed_at.astimezone(UTC).isoformat(timespec="seconds"),
        "component": entry.component,
        "condition": entry.condition,
        "fuel_percent": entry.fuel_percent,
        "temperature_c": entry.temperature_c,
        "humidity_percent": entry.humidity_percent,
        "dew_point_c": entry.dew_point_c,
        "source": entry.source,
        "readings": entry.readings,
        "note": entry.note,
        "outside_hours_reason": entry.outside_hours_reason,
        "problems": list(entry.problems),
        "severity": entry.severity,
        "recommendation": entry.recommendation,
        "request": entry.request_id,
        "petugas": entry.petugas,
    }


def subject_of(entry: CardEntry) -> str:
    return f"card-entry/{entry.id}"


def record_entry(
    ctx: Context,
    wish: EntryWish,
    operator: str | None,
    lang: str = "id",
    now: datetime | None = None,
) -> Recorded:
    """Given a card entry typed by a petugas, check it, read the devices, sign and store it.

    A problem opens its follow-ups, issues the report and sends the notice.  Raise
    SopError (nothing written) on bad input, a genset test inside working hours
    without a reason, a device that does not answer, or an operator who is no petugas.
    """
    if wish.card not in policy.CARDS:
        raise SopError(
            _("card: {card!r} is not allowed; use {allowed}").format(
                card=wish.card, allowed=", ".join(policy.CARDS)
            )
        )
    folder = inventory_folder(ctx)
    settings = load_settings(folder)
    place = place_of(folder, wish.place)
    naskah = load_naskah()
    now = now or datetime.now(UTC)
    observed = observed_time(wish.at, now, naskah.time_zone)
    values, assessment = _assess(
        wish, settings, place, observed.astimezone(ZoneInfo(naskah.time_zone))
    )
    if wish.request_id is not None:
        _check_request(ctx, wish.request_id, wish.card, place)
    person = ctx.actor(operator)
    require_role(person.operator, "petugas", "a control card entry (SOP 6.3, 6.4)")
    problems = list(assessment.problems)
    component = str(values.get("component", ""))
    recommendation = wish.recommendation.strip() or (
        recommend(problems, component, settings, lang) if problems else ""
    )
    with ctx.session() as session:
        entry = CardEntry(
            card=wish.card,
            place=place,
            observed_at=observed,
            note=wish.note.strip(),
            problems=problems,
            severity=assessment.severity,
            recommendation=recommendation,
            request_id=wish.request_id,
            petugas=person.name,
            signed={},
            **{"component": "", "condition": "", "outside_hours_reason": ""} | values,
        )
        session.add(entry)
        session.flush()
        entry.signed = person.sign(session, "card.entry", subject_of(entry), payload(entry))
        followups = []
        if problems:
            kinds = ("penyesuaian", "laporan") if wish.card == "suhu" else ("laporan",)
            followups = [CardFollowUp(entry_id=entry.id, kind=k, opened_at=now) for k in kinds]
            session.add_all(followups)
        session.flush()
        session.expunge_all()
    recorded = Recorded(entry, followups)
    if problems:
        report_and_notify(ctx, recorded, settings, lang)
    return recorded


def report_and_notify(ctx: Context, recorded: Recorded, settings: CardSettings, lang: str) -> None:
    """Given an entry with problems, issue its report and send the notice; keep both on
    its ``laporan`` follow-up (with an audit entry)."""
    from sop_runner.procedures.cards.documents import write_problem_report

    entry = recorded.entry
    paths, number = write_problem_report(ctx, entry, settings, lang)
    words = WORDS[lang]
    problems = ", ".join(problems_text(entry, settings, lang))
    title = words["notice.climate" if entry.card == "suhu" else "notice.power"].format(
        place=entry.place, problems=problems
    )
    body = "\n".join(
        [
            f"{words['card.' + entry.card]} — {entry.place}",
            f"{words['report.problem']}: {problems}",
            f"{words['report.recommendation']}: {entry.recommendation}",
            f"{words['petugas']}: {entry.petugas}",
            f"{words['report.card']}: {number}",
        ]
    )
    delivery = send(ctx, Notice(NOTICE_KIND, title, body, entry.severity))
    with ctx.session() as session:
        report = session.scalars(
            select(CardFollowUp).where(
                CardFollowUp.entry_id == entry.id, CardFollowUp.kind == "laporan"
            )
        ).one()
        report.detail = {
            "number": number,
            "files": [p.name for p in paths],
            "notice": {"sent": delivery.sent, "failed": delivery.failed},
        }
        audit.append(
            session,
            entry.petugas,
            "card.reported",
            f"{subject_of(entry)}/laporan",
            {"number": number, "sent": delivery.sent, "failed": delivery.failed},
        )
    recorded.documents, recorded.delivery = paths, delivery


def close_adjustment(
    ctx: Context, entry_id: int, action: str, operator: str | None
) -> CardFollowUp:
    """Given an entry whose room was out of the standard and what was done, close its
    adjustment record (6.4 step 3) with the petugas' signature.

    Raise SopError (nothing written) if the action is empty or no open record exists.
    """
    if not action.strip():
        raise SopError(_("--tindakan: required, say what was adjusted (e.g. set point AC 22 °C)"))
    person = ctx.actor(operator)
    require_role(person.operator, "petugas", "an adjustment record (SOP 6.4 step 3)")
    with ctx.session() as session:
        record = session.scalars(
            select(CardFollowUp).where(
                CardFollowUp.entry_id == entry_id,
                CardFollowUp.kind == "penyesuaian",
                CardFollowUp.status == "terbuka",
            )
        ).one_or_none()
        if record is None:
            raise SopError(_("entry {id}: has no open adjustment record").format(id=entry_id))
        record.signed = person.sign(
            session,
            "card.adjusted",
            f"card-entry/{entry_id}/penyesuaian",
            {"action": action.strip()},
        )
        record.status = "selesai"
        record.closed_at = datetime.now(UTC)
        record.closed_by = person.name
        record.detail = {"action": action.strip()}
        session.flush()
        session.expunge(record)
    return record
