"""The part of a 6.3/6.4 run's report (Laporan hasil …) that shows its card entries:
every entry recorded with ``--permintaan`` of that request, and what it opened."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sop_runner.documents import dates
from sop_runner.documents.naskah import load_naskah
from sop_runner.procedures.cards.documents import readings_text
from sop_runner.procedures.cards.models import CardEntry, CardFollowUp
from sop_runner.procedures.cards.words import WORDS
from sop_runner.store.models import Request, Run


def section_data(session: Session, request: Request, run: Run | None, lang: str) -> dict[str, Any]:
    """Given a 6.3/6.4 request (and its latest run), return the entries the section shows."""
    words = WORDS[lang]
    naskah = load_naskah()
    entries = session.scalars(
        select(CardEntry).where(CardEntry.request_id == request.id).order_by(CardEntry.observed_at)
    ).all()
    followups: dict[int, list[str]] = {}
    ids = [e.id for e in entries]
    if ids:
        for row in session.scalars(
            select(CardFollowUp).where(CardFollowUp.entry_id.in_(ids)).order_by(CardFollowUp.id)
        ).all():
            state = words["open"] if row.status == "terbuka" else words["closed"]
            number = f" {row.detail.get('number')}" if row.detail.get("number") else ""
            followups.setdefault(row.entry_id, []).append(f"{row.kind}{number} ({state})")
    return {
        "W": words,
        "entries": [
            {
                "id": e.id,
                "card": words[f"card.{e.card}"],
                "when": dates.date_time(e.observed_at, naskah.time_zone, naskah.zone_name, lang),
                "place": e.place,
                "reading": readings_text(e, lang),
                "problems": ", ".join(e.problems) or "-",
                "followups": "; ".join(followups.get(e.id, [])) or "-",
                "petugas": e.petugas,
            }
            for e in entries
        ],
    }
