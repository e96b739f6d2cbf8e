"""The remote account log (daftar log akun remot, SOP 2.4): its data and its files."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sop_runner import durations, i18n
from sop_runner.context import Context
from sop_runner.documents import dates
from sop_runner.documents.naskah import load_naskah
from sop_runner.procedures.grants import ledger
from sop_runner.procedures.grants.models import FirewallGrant, GrantEvent, GrantSession
from sop_runner.procedures.grants.words import WORDS

TEMPLATES = Path(__file__).parent / "templates"


def _when(moment: datetime, lang: str) -> str:
    """Given a moment, return it as the documents write it ('30 November 2026 14.05 WIB')."""
    naskah = load_naskah()
    return dates.date_time(moment, naskah.time_zone, naskah.zone_name, lang)


def _within(moment: datetime, since: datetime | None, until: datetime | None) -> bool:
    return not ((since and moment < since) or (until and moment >= until))


def _row(grant: FirewallGrant, lang: str) -> dict[str, Any]:
    words = WORDS[lang]
    opened, closed = grant.opened_at, grant.closed_at
    assert opened is not None
    return {
        "id": grant.id,
        "user": grant.user,
        "source": grant.source,
        "host": f"{grant.target} ({grant.destination})",
        "port": f"{grant.protocol}/{grant.port}",
        "opened": _when(opened, lang),
        "ends": _when(grant.ends_at, lang),
        "closed": _when(closed, lang) if closed else words["still_open"],
        "closed_by": words.get(grant.closed_by or "", grant.closed_by or ""),
        "duration": durations.words((closed - opened).total_seconds(), lang) if closed else "",
        "extensions": grant.extensions,
        "petugas": grant.petugas,
        "reason": grant.reason,
    }


def _sessions(
    session: Session, since: datetime | None, until: datetime | None, lang: str
) -> list[dict[str, Any]]:
    """Given the store and a period, return the sessions the grants' certificates opened
    (read from the targets' sshd logs: `sop grant sessions`, `revoke`)."""
    rows = session.scalars(select(GrantSession).order_by(GrantSession.opened_at)).all()
    return [
        {
            "grant": row.grant_id,
            "account": f"{row.account}@{row.host}",
            "source": f"{row.source}:{row.port}",
            "opened": _when(row.opened_at, lang),
            "closed": _when(row.closed_at, lang) if row.closed_at else WORDS[lang]["still_open"],
            "key_id": row.key_id,
        }
        for row in rows
        if _within(row.opened_at, since, until)
    ]


def report_data(
    ctx: Context, lang: str, since: datetime | None, until: datetime | None
) -> dict[str, Any]:
    """Given a language and a period, return what the remote account log shows.

    Grants whose end has passed are settled first (closed by expiry, or failed).
    """
    words = WORDS[lang]
    with ctx.session() as session:
        ledger.settle_expired(session)
        session.commit()
        query = (
            select(FirewallGrant)
            .where(FirewallGrant.opened_at.is_not(None))
            .order_by(FirewallGrant.id)
        )
        rows = [
            _row(grant, lang)
            for grant in session.scalars(query).all()
            if grant.opened_at is not None and _within(grant.opened_at, since, until)
        ]
        sessions = _sessions(session, since, until, lang)
        anomalies = []
        for event in session.scalars(
            select(GrantEvent).where(GrantEvent.event == "anomaly").order_by(GrantEvent.id)
        ).all():
            if not _within(event.at, since, until):
                continue
            d = event.detail
            anomalies.append(
                {
                    "time": _when(event.at, lang),
                    "firewall": d.get("firewall", ""),
                    "grant": f"{d.get('source')} -> {d.get('destination')} "
                    f"{d.get('protocol')}/{d.get('port')}",
                    # Recorded in English (grants/recorders.py); shown in the log's language.
                    "what": i18n.translations(lang).gettext(d["what"]) if d.get("what") else "",
                }
            )
    period = (
        f"{since.date() if since else '…'} – {until.date() if until else '…'}"
        if since or until
        else words["all"]
    )
    return {
        "L": words,
        "lang": lang,
        "rows": rows,
        "anomalies": anomalies,
        "sessions": sessions,
        "period": period,
    }


def write_report(
    ctx: Context,
    lang: str,
    since: datetime | None,
    until: datetime | None,
    out_dir: Path | None = None,
) -> list[Path]:
    """Given a language and a period, write the remote account log (PDF, HTML, Markdown:
    a naskah dinas of the core's document layer); return the paths, Markdown first."""
    from sop_runner.documents.publish import issue_markdown
    from sop_runner.reports.render import template_environment

    data = report_data(ctx, lang, since, until)
    out = out_dir or ctx.settings.reports_dir / "remote-access"
    out.mkdir(parents=True, exist_ok=True)
    env = template_environment((TEMPLATES,))
    stamp = ledger.now().strftime("%Y%m%d-%H%M%S")
    paths = issue_markdown(
        ctx,
        env.get_template("grants_log.md.j2").render(**data),
        subject=f"remote-access-log/{stamp}/{data['period']}",
        file_stem=f"daftar-log-akun-remot-{stamp}-{lang}",
        lang=lang,
        out=out,
    )
    return sorted(paths, key=lambda path: path.suffix != ".md")
