"""The control cards' documents: a month of one card, and the problem report, both as
naskah dinas through the core's document layer (kop, number, WIB dates, signatures,
PDF, ``sop verify``)."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from markupsafe import Markup
from sqlalchemy import select

from sop_runner.context import Context
from sop_runner.documents import dates
from sop_runner.documents.layout import Document, html_of
from sop_runner.documents.naskah import load_naskah
from sop_runner.documents.publish import FORMATS, issue
from sop_runner.documents.signatures import Signer, block, holder_of
from sop_runner.escaping import md
from sop_runner.i18n import _
from sop_runner.procedures.cards import policy
from sop_runner.procedures.cards.chart import climate_png
from sop_runner.procedures.cards.models import CardEntry, CardFollowUp
from sop_runner.procedures.cards.service import payload, problems_text, subject_of
from sop_runner.procedures.cards.settings import CardSettings
from sop_runner.procedures.cards.words import WORDS
from sop_runner.trust.trail import verify_block

SOP_OF = {
    "6.3": "SOP 6.3 Monitoring & Perawatan Catu Daya Pusat Data",
    "6.4": "SOP 6.4 Monitoring & Pengaturan Suhu Pusat Data",
}


def number(value: float | None, lang: str, digits: int = 1) -> str:
    """Given a number, return it as the language writes it ('29,0' in Indonesian)."""
    if value is None:
        return ""
    text = f"{value:.{digits}f}"
    return text.replace(".", ",") if lang == "id" else text


def paraf(ctx: Context, entry: CardEntry, lang: str) -> str:
    """Given an entry, return its paraf: the signature's short fingerprint if it still
    verifies over the row as stored, else NOT VALID."""
    problems = verify_block(
        entry.signed,
        "card.entry",
        subject_of(entry),
        payload(entry),
        entry.petugas,
        ctx.trusted.history,
    )
    if problems or not entry.signed:
        return WORDS[lang]["paraf_invalid"]
    return block(ctx.trusted.current, entry.petugas, "", str(entry.signed["signature"])).fingerprint


def _local(moment: datetime) -> datetime:
    return moment.astimezone(ZoneInfo(load_naskah().time_zone))


def source_text(entry: CardEntry, lang: str) -> str:
    """Given an entry, return where its values came from, in words."""
    return WORDS[lang]["manual"] if entry.source == "manual" else entry.source


def readings_text(entry: CardEntry, lang: str) -> str:
    """Given an entry, return what was read or typed, in words."""
    w = WORDS[lang]
    if entry.card == "suhu":
        return (
            f"{w['temperature']} {number(entry.temperature_c, lang)} °C; {w['humidity']} "
            f"{number(entry.humidity_percent, lang)} %; {w['dew_point']} "
            f"{number(entry.dew_point_c, lang)} °C ({source_text(entry, lang)})"
        )
    if entry.card == "bbm":
        return f"{w['fuel']} {number(entry.fuel_percent, lang, 0)} %"
    text = f"{entry.component}: {w.get(entry.condition, entry.condition)}"
    if entry.readings:
        ups = ", ".join(f"{k} {v}" for k, v in sorted(entry.readings.items()))
        text += f"; {w['ups']} ({entry.source}): {ups}"
    return text


def _pj_block(ctx: Context, heading: str) -> Signer | None:
    registry = ctx.trusted.current
    name = holder_of(registry, "penanggung_jawab")
    return block(registry, name, heading) if name else None


def write_problem_report(
    ctx: Context, entry: CardEntry, settings: CardSettings, lang: str
) -> tuple[list[Path], str]:
    """Given an entry with problems, issue its report to the penanggung jawab (6.3 step 5,
    6.4 step 4), signed by the petugas; return the files (Markdown first) and its number."""
    w = WORDS[lang]
    naskah = load_naskah()
    procedure = policy.PROCEDURE_OF[entry.card]
    step = "4" if entry.card == "suhu" else "5"
    pj = ctx.trusted.current.get(holder_of(ctx.trusted.current, "penanggung_jawab") or "")
    rows = [
        (w["report.to"], f"{w['report.pj']}" + (f" ({pj.full_name})" if pj else "")),
        (w["report.basis"], w["report.basis_text"].format(sop=SOP_OF[procedure], step=step)),
        (w["report.card"], w[f"card.{entry.card}"]),
        (w["place"], entry.place),
        (
            w["report.observed"],
            dates.date_time(entry.observed_at, naskah.time_zone, naskah.zone_name, lang),
        ),
        (w["report.readings"], readings_text(entry, lang)),
        (w["report.problem"], "; ".join(problems_text(entry, settings, lang))),
        (w["report.recommendation"], entry.recommendation),
    ]
    if entry.card == "suhu":
        rows.append((w["report.adjustment"], w["report.adjustment_open"]))
    if entry.note:
        rows.append((w["note"], entry.note))
    body = "| | |\n|---|---|\n" + "".join(f"| {md(k)} | {md(v)} |\n" for k, v in rows)
    signer = block(
        ctx.trusted.current,
        entry.petugas,
        w["report.reporter"],
        str(entry.signed["signature"]),
        str(entry.signed.get("time", "")),
    )
    title = w["report.climate" if entry.card == "suhu" else "report.power"]
    document = Document(
        kind="laporan",
        subject=f"{subject_of(entry)}/laporan",
        title=title,
        file_stem=f"laporan-kartu-{entry.card}-{entry.id}-{lang}",
        lang=lang,
        body_markdown=body,
        signers=(signer,),
        request_id=entry.request_id,
    )
    out = ctx.settings.reports_dir / "kartu-kontrol"
    paths = issue(ctx, document, out, FORMATS)
    with ctx.session() as session:
        from sop_runner.documents.models import IssuedDocument

        issued = session.scalars(
            select(IssuedDocument).where(IssuedDocument.subject == document.subject)
        ).first()
        assigned = issued.number if issued else ""
    return sorted(paths, key=lambda path: path.suffix != ".md"), assigned


def month_bounds(month: str) -> tuple[datetime, datetime]:
    """Given 'YYYY-MM', return its first moment and the next month's, in the office's zone.

    Raise SopError if it is not a month.
    """
    from sop_runner.errors import SopError

    try:
        start = datetime.strptime(month, "%Y-%m")
    except ValueError:
        raise SopError(_("--bulan: {month!r} is not a month YYYY-MM").format(month=month)) from None
    zone = ZoneInfo(load_naskah().time_zone)
    end = (
        start.replace(year=start.year + 1, month=1)
        if start.month == 12
        else start.replace(month=start.month + 1)
    )
    return start.replace(tzinfo=zone), end.replace(tzinfo=zone)


def inside_share(entries: list[CardEntry], end: datetime) -> tuple[float, float]:
    """Given a month's room entries (in time order) and the end of what they cover, return
    the share of time (%) inside the standard and the hours covered: each reading holds
    until the next one."""
    inside = total = 0.0
    for index, entry in enumerate(entries):
        until = entries[index + 1].observed_at if index + 1 < len(entries) else end
        seconds = max(0.0, (until - entry.observed_at).total_seconds())
        total += seconds
        if not entry.problems:
            inside += seconds
    if total == 0:
        return (100.0 if entries and not entries[-1].problems else 0.0), 0.0
    return 100 * inside / total, total / 3600


def _row(ctx: Context, index: int, entry: CardEntry, lang: str) -> list[str]:
    w = WORDS[lang]
    naskah = load_naskah()
    local = _local(entry.observed_at)
    cells = [
        str(index),
        dates.long_date(local, naskah.time_zone, lang),
        dates.clock(local, naskah.time_zone, naskah.zone_name, lang),
    ]
    note = entry.note
    if entry.outside_hours_reason:
        note = "; ".join(
            x for x in (w["flag_hours"].format(reason=entry.outside_hours_reason), note) if x
        )
    if entry.card == "suhu":
        # A no-break space keeps a value and its unit on one line of a narrow column.
        cells += [
            f"{number(entry.temperature_c, lang)}\u00a0°C",
            f"{number(entry.humidity_percent, lang)}\u00a0%",
            f"{number(entry.dew_point_c, lang)}\u00a0°C",
            w["no_"] if entry.problems else w["yes"],
        ]
    elif entry.card == "bbm":
        cells += [f"{number(entry.fuel_percent, lang, 0)}\u00a0%", note]
    else:
        if entry.card == "listrik":
            cells.append(entry.component)
        cells.append(w.get(entry.condition, entry.condition))
        if entry.card == "listrik":
            ups = entry.readings
            cells.append(
                f"{ups.get('ups.status', '')} {ups.get('input.voltage', '')} V, "
                f"{ups.get('ups.load', '')} %, {w['ups']} {ups.get('battery.charge', '')} %"
                if ups
                else ""
            )
        cells.append(note)
    return [*cells, entry.petugas, paraf(ctx, entry, lang)]


def _heads(card: str, w: dict[str, str]) -> list[str]:
    middle = {
        "suhu": [w["temperature"], w["humidity"], w["dew_point"], w["in_standard"]],
        "bbm": [w["fuel"], w["note"]],
        "genset": [w["condition"], w["note"]],
        "listrik": [w["component"], w["condition"], w["ups"], w["note"]],
    }[card]
    return [w["no"], w["date"], w["time"], *middle, w["petugas"], w["paraf"]]


def write_card(
    ctx: Context,
    card: str,
    place: str,
    month: str,
    settings: CardSettings,
    lang: str,
    formats: tuple[str, ...] = FORMATS,
) -> list[Path]:
    """Given a card, a place and a month, issue that month of the card (the 6.4 card with
    its graph and share of time inside the standard); return the files, Markdown first."""
    w = WORDS[lang]
    start, end = month_bounds(month)
    with ctx.session() as session:
        entries = list(
            session.scalars(
                select(CardEntry)
                .where(
                    CardEntry.card == card,
                    CardEntry.place == place,
                    CardEntry.observed_at >= start.astimezone(UTC),
                    CardEntry.observed_at < end.astimezone(UTC),
                )
                .order_by(CardEntry.observed_at, CardEntry.id)
            ).all()
        )
        session.expunge_all()
    env = settings.envelope
    from babel.dates import format_date

    head = [(w["place"], place), (w["month"], format_date(start.date(), "MMMM y", locale=lang))]
    if card == "suhu":
        standard = w["standard_text"].format(
            t_low=env.temperature[0],
            t_high=env.temperature[1],
            d_low=env.dew_point[0],
            d_high=env.dew_point[1],
            h_max=env.humidity_max,
            a_low=env.allowable_temperature[0],
            a_high=env.allowable_temperature[1],
        )
        share, hours = inside_share(entries, min(end.astimezone(UTC), datetime.now(UTC)))
        covered = w["inside_share_text"].format(share=share, hours=hours)
        # Indonesian writes a decimal comma; these two texts hold no other full stop.
        if lang == "id":
            standard, covered = standard.replace(".", ","), covered.replace(".", ",")
        head += [(w["standard"], standard), (w["inside_share"], covered)]
    if card == "bbm":
        head.append((w["threshold"], f"{settings.fuel_minimum:g} %"))
    first = "| | |\n|---|---|\n" + "".join(f"| {md(k)} | {md(v)} |\n" for k, v in head)
    heads = _heads(card, w)
    table = "| " + " | ".join(md(h) for h in heads) + " |\n|" + "---|" * len(heads) + "\n"
    table += "".join(
        "| " + " | ".join(md(c) for c in _row(ctx, i, e, lang)) + " |\n"
        for i, e in enumerate(entries, 1)
    )
    if not entries:
        table = md(w["no_entries"]) + "\n"
    body_html = html_of(first)
    if card == "suhu" and entries:
        png = climate_png(
            [
                (_local(e.observed_at), e.temperature_c or 0.0, e.humidity_percent or 0.0)
                for e in entries
            ],
            env,
            (f"{w['temperature']} (°C)", f"{w['humidity']} (%)"),
        )
        body_html += Markup(
            f'<p class="chart"><img alt="{w["graph"]}" style="width:100%" '
            f'src="data:image/png;base64,{base64.b64encode(png).decode()}"/></p>'
        )
    body_html += html_of(table)
    pj = _pj_block(ctx, w["acknowledged"])
    document = Document(
        kind="dokumen",
        doc_type="kartu_kontrol",  # its classification code (naskah.yaml klasifikasi)
        subject=f"kartu/{card}/{place}/{month}",
        title=w[f"card.{card}"],
        file_stem=f"kartu-{card}-{place}-{month}-{lang}",
        lang=lang,
        body_markdown=first + "\n" + table,
        body_html=Markup(body_html),
        signers=(pj,) if pj else (),
    )
    paths = issue(ctx, document, ctx.settings.reports_dir / "kartu-kontrol", formats)
    return sorted(paths, key=lambda path: path.suffix != ".md")


def followups_of(ctx: Context, entry_ids: list[int]) -> list[CardFollowUp]:
    """Given entries, return their follow-ups in order."""
    if not entry_ids:
        return []
    with ctx.session() as session:
        rows = list(
            session.scalars(
                select(CardFollowUp)
                .where(CardFollowUp.entry_id.in_(entry_ids))
                .order_by(CardFollowUp.id)
            ).all()
        )
        session.expunge_all()
    return rows
