"""The documents of SOP 2.1–2.3, as naskah dinas of the core's document layer: the monthly
Buku Log akses, a person's history, and the anomalies report for the penanggung jawab.

Each row shows the paraf of the petugas who recorded the check-in and the check-out (the
short fingerprint of their ed25519 signature); the identity document as its type and last
four characters only.  The penanggung jawab's block closes each document.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from sop_runner import durations
from sop_runner.context import Context
from sop_runner.documents import dates
from sop_runner.documents.layout import Document
from sop_runner.documents.naskah import load_naskah
from sop_runner.documents.signatures import Signer, block, holder_of, signature_fingerprint
from sop_runner.errors import SopError
from sop_runner.escaping import md
from sop_runner.i18n import _
from sop_runner.procedures.access import book, policy, reconcile
from sop_runner.procedures.access.models import AccessEntry
from sop_runner.procedures.access.words import WORDS


def _when(moment: datetime | None, lang: str) -> str:
    if moment is None:
        return ""
    local = dates.local(moment, policy.ZONE)
    return local.strftime("%d/%m/%Y %H.%M" if lang == "id" else "%d/%m/%Y %H:%M")


def _paraf(signed: dict[str, Any] | None) -> str:
    if not signed or not signed.get("signature"):
        return ""
    return signature_fingerprint(str(signed["signature"]))[:9]


def month_range(text: str) -> tuple[datetime, datetime]:
    """Given 'YYYY-MM', return the month's start and end in UTC (office time, WIB).

    Raise SopError naming the option when it is not such a month.
    """
    try:
        year, month = (int(p) for p in text.split("-"))
        start = datetime(year, month, 1)
    except ValueError:
        raise SopError(
            _("month: {text!r} is not allowed; use YYYY-MM, e.g. 2026-11").format(text=text)
        ) from None
    end = datetime(year + (month == 12), month % 12 + 1, 1)
    zone = policy.parse_time(start.isoformat()).tzinfo
    assert zone is not None
    return policy.parse_time(start.isoformat()), policy.parse_time(end.isoformat())


def visit_row(session: Session, row: AccessEntry, lang: str) -> dict[str, str]:
    w = WORDS[lang]
    end = row.time_out
    allowed = book.allowed_at(session, row, end or datetime.max.replace(tzinfo=UTC))
    stayed = (end - row.time_in) if end else None
    over = max(timedelta(0), (end - allowed)) if end else timedelta(0)
    standard = durations.words((allowed - row.time_in).total_seconds(), lang)
    if stayed is None:
        length = w["still_inside"]
    else:
        verdict = (
            f"{w['over']} {durations.words(over.total_seconds(), lang)}" if over else w["within"]
        )
        length = f"{durations.words(stayed.total_seconds(), lang)} ({standard}: {verdict})"
    authorised = w.get(row.authorisation, row.authorisation)
    if row.permission_id:
        authorised += f" #{row.permission_id}"
    returned = []
    if row.id_returned:
        returned.append(w["returned"])
    if row.door_locked:
        returned.append(w["door_locked"])
    deposited = f"{row.id_type} ****{row.id_last4}" if row.id_type else "-"
    if row.gadgets:
        deposited += f"; {w['gadgets']}: {row.gadgets}"
    return {
        "person": row.person_name or w["anonymised"],
        "organisation": row.organisation or "",
        "kind": w[row.kind],
        "purpose": row.purpose if row.anonymised_at is None else "",
        "rooms": ", ".join(row.rooms),
        "authorised": authorised,
        "escort": row.escort or "-",
        "deposited": deposited,
        "in": _when(row.time_in, lang),
        "out": _when(end, lang),
        "length": length,
        "returned": ", ".join(returned),
        "paraf": f"{row.recorded_by} {_paraf(row.signed_in)}"
        + (f" / {row.checked_out_by} {_paraf(row.signed_out)}" if row.signed_out else ""),
    }


def visit_table(rows: list[dict[str, str]], w: dict[str, str]) -> str:
    if not rows:
        return w["none"]
    head = (
        f"| {w['no']} | {w['person']} ({w['organisation']}) | {w['kind']} | "
        f"{w['purpose']} / {w['rooms']} | {w['authorisation']} / {w['escort']} | "
        f"{w['id_doc']} | {w['time_in']} | {w['time_out']} | {w['duration']} "
        f"({w['standard']}) | {w['paraf']} |"
    )
    lines = [head, "|" + "---|" * 10]
    for number, r in enumerate(rows, 1):
        cells = [
            str(number),
            f"{md(r['person'])} ({md(r['organisation'])})",
            md(r["kind"]),
            f"{md(r['purpose'])} / {md(r['rooms'])}",
            f"{md(r['authorised'])} / {md(r['escort'])}",
            md(r["deposited"]),
            md(r["in"]),
            f"{md(r['out'])} {md(r['returned'])}".strip(),
            md(r["length"]),
            md(r["paraf"]),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _signers(ctx: Context) -> tuple[Signer, ...]:
    registry = ctx.trusted.current
    pj = holder_of(registry, "penanggung_jawab")
    return (block(registry, pj, WORDS_HEADING),) if pj else ()


WORDS_HEADING = "Penanggung Jawab Pusat Data"


def _issue(ctx: Context, doc: Document, out: Path, formats: tuple[str, ...]) -> list[Path]:
    from sop_runner.documents.publish import issue

    out.mkdir(parents=True, exist_ok=True)
    paths = issue(ctx, doc, out, formats)
    return sorted(paths, key=lambda path: path.suffix != ".md")


def monthly(ctx: Context, month: str, lang: str, out: Path, formats: tuple[str, ...]) -> list[Path]:
    """Given a month ('2026-11'), write the Buku Log akses of its visits; return the paths."""
    w = WORDS[lang]
    start, end = month_range(month)
    with ctx.session() as session:
        visits = session.scalars(
            select(AccessEntry)
            .where(AccessEntry.time_in >= start, AccessEntry.time_in < end)
            .order_by(AccessEntry.time_in, AccessEntry.id)
        ).all()
        rows = [visit_row(session, v, lang) for v in visits]
    counts = {k: sum(1 for v in visits if v.kind == k) for k in policy.KINDS}
    summary = ", ".join(f"{w[k]} {n}" for k, n in counts.items())
    month_words = dates.long_date(start, policy.ZONE, lang).split(" ", 1)[1]  # "November 2026"
    body = (
        f"**{md(w['procedure'])}**  \n**{w['period']}:** {md(month)} · "
        f"**{w['count']}:** {len(rows)} ({md(summary)})\n\n"
        f"{visit_table(rows, w)}\n\n*{md(w['note'])}*\n"
    )
    doc = Document(
        kind="dokumen",
        doc_type="buku_log",  # its classification code (naskah.yaml klasifikasi)
        subject=f"access-log/{month}",
        title=f"{w['title']} {w['month']} {month_words}",
        file_stem=f"buku-log-akses-{month}-{lang}",
        lang=lang,
        body_markdown=body,
        signers=_signers(ctx),
        tembusan=(),
    )
    return _issue(ctx, doc, out, formats)


def history(
    ctx: Context, person: str, lang: str, out: Path, formats: tuple[str, ...]
) -> list[Path]:
    """Given a person's name (or a petugas's registry name), write their visits; return paths.

    Raise SopError when the log book has no visit of theirs.
    """
    w = WORDS[lang]
    wanted = policy.required(person, "person", _("a name as the log book has it"))
    with ctx.session() as session:
        visits = session.scalars(
            select(AccessEntry)
            .where(
                or_(
                    func.lower(AccessEntry.person_name) == wanted.lower(),
                    AccessEntry.operator == wanted,
                )
            )
            .order_by(AccessEntry.time_in)
        ).all()
        if not visits:
            raise SopError(_("person: the log book has no visit of {name!r}").format(name=wanted))
        rows = [visit_row(session, v, lang) for v in visits]
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    doc = Document(
        kind="dokumen",
        doc_type="buku_log",
        subject=f"access-history/{stamp}",
        # The name stays out of the title: titles go to the audit trail, which keeps them.
        title=w["history_title"],
        file_stem=f"riwayat-akses-{stamp}-{lang}",
        lang=lang,
        body_markdown=f"**{md(w['procedure'])}**  \n**{w['person']}:** {md(wanted)}\n\n"
        f"{visit_table(rows, w)}\n\n*{md(w['note'])}*\n",
        signers=_signers(ctx),
        tembusan=(),
    )
    return _issue(ctx, doc, out, formats)


def anomalies_body(found: list[reconcile.Anomaly], lang: str, period: str) -> str:
    """Given the anomalies, return the report's body in Markdown."""
    w = WORDS[lang]
    lines = [f"**{md(w['procedure'])}**  \n**{w['period']}:** {md(period)}", ""]
    if not found:
        return "\n".join([*lines, w["none"], ""])
    lines += [
        f"| {w['no']} | {w['time']} | {w['anomaly']} | {w['pin']} | {w['entry']} | {w['person']} |",
        "|---|---|---|---|---|---|",
    ]
    naskah = load_naskah()
    for number, a in enumerate(found, 1):
        when = dates.date_time(a.at, naskah.time_zone, naskah.zone_name, lang)
        lines.append(
            f"| {number} | {md(when)} | {md(w[a.kind])} | {md(a.pin or '-')} | "
            f"{a.entry_id or '-'} | {md(a.who)} |"
        )
    return "\n".join([*lines, ""])


def anomalies(
    ctx: Context,
    found: list[reconcile.Anomaly],
    period: str,
    lang: str,
    out: Path,
    formats: tuple[str, ...],
) -> list[Path]:
    """Given the anomalies of a period, write their report for the PJ; return the paths."""
    w = WORDS[lang]
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    doc = Document(
        kind="laporan",
        subject=f"access-anomalies/{stamp}",
        title=w["anomalies_title"],
        file_stem=f"anomali-akses-{stamp}-{lang}",
        lang=lang,
        body_markdown=anomalies_body(found, lang, period),
        signers=_signers(ctx),
        tembusan=(),
    )
    return _issue(ctx, doc, out, formats)
