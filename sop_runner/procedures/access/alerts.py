"""The overdue visits told to people through the product's one notifier (sop_runner/notify.py)."""

from __future__ import annotations

from sop_runner.context import Context
from sop_runner.documents import dates
from sop_runner.durations import compact
from sop_runner.notify import Delivery, Notice, send
from sop_runner.procedures.access import policy
from sop_runner.procedures.access.book import Presence

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


def send_overdue(ctx: Context, found: list[Presence], words: dict[str, str]) -> Delivery:
    """Given the overdue visits, send their notice to the site's targets; return how it went."""
    return send(ctx, overdue_notice(found, words))
