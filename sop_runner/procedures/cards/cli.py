"""`sop kartu`: the petugas' control cards of SOP 6.3 and 6.4 (typer functions only).

Help is Indonesian by default and English with ``--lang en`` or ``SOP_LANG=en``
(the feature's own word table, ``words.py``).
"""

from __future__ import annotations

import json
from typing import Annotated

import typer

from sop_runner.cli.options import As, Json, Lang, choose_language, operator_name, out
from sop_runner.context import Context
from sop_runner.documents import dates
from sop_runner.documents.naskah import load_naskah
from sop_runner.documents.publish import formats_from
from sop_runner.documents.signatures import signature_fingerprint
from sop_runner.i18n import _, language
from sop_runner.procedures.cards import service
from sop_runner.procedures.cards.models import CardEntry
from sop_runner.procedures.cards.policy import CARDS
from sop_runner.procedures.cards.words import WORDS


def h(key: str) -> str:
    """Given a word key, return it in the language of this process (help texts)."""
    return WORDS[language()][key]


cli = typer.Typer(help=h("help"), no_args_is_help=True)

Place = Annotated[str, typer.Option("--tempat", help=h("opt.place"))]
At = Annotated[
    str | None,
    typer.Option("--at", help=h("opt.at")),
]
Note = Annotated[str, typer.Option("--catatan", help=h("opt.note"))]
Recommendation = Annotated[str, typer.Option("--rekomendasi", help=h("opt.recommendation"))]
RequestId = Annotated[int | None, typer.Option("--permintaan", help=h("opt.request"))]
Condition = Annotated[str, typer.Option("--kondisi", help=h("opt.condition"))]


def _say(text: str) -> None:
    out.print(text, markup=False, highlight=False)


def _record(wish: service.EntryWish, as_: str | None, lang: str | None, as_json: bool) -> None:
    ctx = Context()
    chosen = choose_language(ctx.settings, lang)
    done = service.record_entry(ctx, wish, operator_name(as_), chosen)
    entry = done.entry
    if as_json:
        _say(json.dumps(_json(entry, done), ensure_ascii=False))
        return
    w = WORDS[chosen]
    fingerprint = signature_fingerprint(str(entry.signed["signature"]))
    _say(f"{w['card.' + entry.card]} #{entry.id}: {entry.place}, {entry.petugas} [{fingerprint}]")
    if entry.outside_hours_reason:
        _say("  " + w["flag_hours"].format(reason=entry.outside_hours_reason))
    for followup in done.followups:
        _say(f"  {followup.kind}: {w['open']}")
    for path in done.documents:
        _say(f"  {path}")
    if done.delivery is not None:
        _say(f"  notifikasi: {done.delivery.sent}/{done.delivery.targets}")


def _json(entry: CardEntry, done: service.Recorded) -> dict[str, object]:
    return {
        "schema": "sop.kartu.entry/1",
        "id": entry.id,
        **service.payload(entry),
        "followups": [f.kind for f in done.followups],
        "documents": [str(p) for p in done.documents],
        "notice": None
        if done.delivery is None
        else {"targets": done.delivery.targets, "sent": done.delivery.sent},
    }


@cli.command("listrik", help=h("help.listrik"))
def listrik(
    place: Place,
    component: Annotated[str, typer.Option("--komponen", help=h("opt.component"))],
    condition: Condition,
    at: At = None,
    note: Note = "",
    no_ups: Annotated[bool, typer.Option("--tanpa-ups", help=h("opt.no_ups"))] = False,
    recommendation: Recommendation = "",
    request: RequestId = None,
    as_: As = None,
    lang: Lang = None,
    as_json: Json = False,
) -> None:
    wish = service.EntryWish(
        "listrik",
        place,
        at,
        component,
        condition,
        note=note,
        read_ups=not no_ups,
        recommendation=recommendation,
        request_id=request,
    )
    _record(wish, as_, lang, as_json)


@cli.command("genset", help=h("help.genset"))
def genset(
    place: Place,
    condition: Condition,
    at: At = None,
    reason: Annotated[str, typer.Option("--alasan", help=h("opt.reason"))] = "",
    note: Note = "",
    recommendation: Recommendation = "",
    request: RequestId = None,
    as_: As = None,
    lang: Lang = None,
    as_json: Json = False,
) -> None:
    wish = service.EntryWish(
        "genset",
        place,
        at,
        "",
        condition,
        note=note,
        reason=reason,
        recommendation=recommendation,
        request_id=request,
    )
    _record(wish, as_, lang, as_json)


@cli.command("bbm", help=h("help.bbm"))
def bbm(
    place: Place,
    percent: Annotated[float, typer.Option("--persen", help=h("opt.percent"))],
    at: At = None,
    note: Note = "",
    recommendation: Recommendation = "",
    request: RequestId = None,
    as_: As = None,
    lang: Lang = None,
    as_json: Json = False,
) -> None:
    wish = service.EntryWish(
        "bbm",
        place,
        at,
        fuel_percent=percent,
        note=note,
        recommendation=recommendation,
        request_id=request,
    )
    _record(wish, as_, lang, as_json)


@cli.command("suhu", help=h("help.suhu"))
def suhu(
    place: Place,
    temperature: Annotated[float | None, typer.Option("--suhu", help=h("opt.temperature"))] = None,
    humidity: Annotated[float | None, typer.Option("--rh", help=h("opt.rh"))] = None,
    sensor: Annotated[bool, typer.Option("--sensor", help=h("opt.sensor"))] = False,
    at: At = None,
    note: Note = "",
    recommendation: Recommendation = "",
    request: RequestId = None,
    as_: As = None,
    lang: Lang = None,
    as_json: Json = False,
) -> None:
    wish = service.EntryWish(
        "suhu",
        place,
        at,
        temperature_c=temperature,
        humidity_percent=humidity,
        from_sensor=sensor,
        note=note,
        recommendation=recommendation,
        request_id=request,
    )
    _record(wish, as_, lang, as_json)


@cli.command("atur", help=h("help.atur"))
def atur(
    entry: Annotated[int, typer.Argument(help=h("opt.entry"))],
    action: Annotated[str, typer.Option("--tindakan", help=h("opt.action"))],
    as_: As = None,
) -> None:
    record = service.close_adjustment(Context(), entry, action, operator_name(as_))
    _say(f"penyesuaian #{record.id} ({entry}): {record.status}, {record.closed_by}")


@cli.command("cetak", help=h("help.cetak"))
def cetak(
    card: Annotated[str, typer.Option("--kartu", help=h("opt.card"))],
    place: Place,
    month: Annotated[str, typer.Option("--bulan", help=h("opt.month"))],
    fmt: Annotated[str, typer.Option("--format", help=h("opt.format"))] = "pdf,html,md",
    lang: Lang = None,
) -> None:
    from sop_runner.errors import SopError
    from sop_runner.procedures.cards.documents import month_bounds, write_card
    from sop_runner.procedures.cards.settings import load_settings

    if card not in CARDS:
        raise SopError(
            _("--kartu: {card!r} is not allowed; use {allowed}").format(
                card=card, allowed=", ".join(CARDS)
            )
        )
    formats = formats_from(fmt)
    month_bounds(month)
    ctx = Context()
    chosen = choose_language(ctx.settings, lang)
    folder = service.inventory_folder(ctx)
    place = service.place_of(folder, place)
    for path in write_card(ctx, card, place, month, load_settings(folder), chosen, formats):
        _say(str(path))


@cli.command("daftar", help=h("help.daftar"))
def daftar(
    card: Annotated[str | None, typer.Option("--kartu", help=h("opt.card"))] = None,
    place: Annotated[str | None, typer.Option("--tempat", help=h("opt.place"))] = None,
    as_json: Json = False,
) -> None:
    from sqlalchemy import select

    ctx = Context()
    with ctx.session() as session:
        query = select(CardEntry).order_by(CardEntry.observed_at, CardEntry.id)
        if card:
            query = query.where(CardEntry.card == card)
        if place:
            query = query.where(CardEntry.place == place)
        rows = session.scalars(query).all()
        found = [{"id": r.id, **service.payload(r)} for r in rows]
    if as_json:
        _say(json.dumps(found, ensure_ascii=False))
        return
    naskah = load_naskah()
    for row in found:
        value = {
            "suhu": f"{row['temperature_c']} °C {row['humidity_percent']} %",
            "bbm": f"{row['fuel_percent']} %",
        }.get(str(row["card"]), f"{row['component']} {row['condition']}")
        problems = ", ".join(row["problems"]) or "-"  # type: ignore[arg-type]
        when = dates.date_time(str(row["observed_at"]), naskah.time_zone, naskah.zone_name)
        _say(
            f"#{row['id']} {when} {row['card']} {row['place']}: {value} "
            f"[{problems}] {row['petugas']}"
        )
