"""The overdue visits told to people through the product's one notifier (sop_runner/notify.py)."""

from __future__ import annotations

from sqlalchemy import select

from sop_runner.context import Context
from sop_runner.documents import dates
from sop_runner.durations import compact
from sop_runner.notify import Delivery, Notice, send
from sop_runner.procedures.access import policy
from sop_runner.procedures.access.book import Presence
from sop_runner.procedures.access.models import AccessEntry

KIND = "access.overdue"


def overdue_notice(found: list[Presence], words: dict[str, str]) -> Notice:
    """Given the visits over their Mutu Baku, return the notice for the penanggung jawab.

    The title carries no name (the audit entry keeps the title); the body does.
    """
    lines = []
    for p in found:
        since = dates.local(p.entry.time_in, policy.ZONE).strftime("%Y-%m-%d %H:%M")
        until = dates.local(p.allowed_until, policy.ZONE).strftime("%H:%M")
        lines.append(
            f"- {words['entry']} {p.entry.id}: {p.entry.person_name} ({words[p.entry.kind]}, "
            f"{p.entry.organisation}), {words['time_in']} {since}, {words['standard']} {until}, "
            f"{words['over']} {compact(p.overdue)}; {words['escort']}: {p.entry.escort or '-'}"
        )
    title = f"{words['notice_title']} ({len(found)})"
    return Notice(KIND, title, "\n".join(lines), "warning")


def send_overdue(ctx: Context, found: list[Presence], words: dict[str, str]) -> Delivery | None:
    """Given the overdue visits, send one notice of those not told yet at their allowed end;
    return how it went (None: every one was told already).

    A cron job asking every five minutes tells the PJ once per visit, and again after an
    extension runs out too.
    """
    with ctx.session() as session:
        told = {
            row.id: row.notified_until
            for row in session.scalars(
                select(AccessEntry).where(AccessEntry.id.in_([p.entry.id for p in found]))
            ).all()
        }
    fresh = [p for p in found if told.get(p.entry.id) != p.allowed_until]
    if not fresh:
        return None
    # Sent outside a transaction of ours: the notifier writes its own audit entry.
    delivery = send(ctx, overdue_notice(fresh, words))
    if delivery.ok:  # not taken: the next run tries again
        with ctx.session() as session:
            for presence in fresh:
                row = session.get(AccessEntry, presence.entry.id)
                if row is not None:
                    row.notified_until = presence.allowed_until
    return delivery
