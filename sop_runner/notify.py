"""The product's one notifier: an immediate report to people, through apprise.

The document asks for immediate reports when something is wrong (an incident, an
overdue visit, fuel under its threshold, a room out of its temperature envelope,
an overdue backup).  Every feature sends them through ``send``; none writes its
own mail code.  Where they go is configured beside the inventory in ``site.yml``
(trusted like it: the trust root names the inventory)::

    notify:
      - url: "mailto://smtp.diskominfo.tegalkab.go.id:25?from=sop@…&to=pj@…"
        kinds: [access.overdue, monitoring.incident]   # optional; default: every kind
      - url_file: /etc/sop/notify-telegram.url         # a URL holding a secret

A URL that carries a password or token lives in its own file (``url_file``),
readable by root only, so the secret is never in ``site.yml``, an argument list,
a log or the audit trail: the audit entry ``notice.sent`` records the kind, the
title and how many targets took it, never a URL.  A failed delivery does not stop
the procedure that reported: it is counted, audited and returned to the caller.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from sop_runner import yamlio
from sop_runner.errors import SopError
from sop_runner.i18n import _

if TYPE_CHECKING:
    from sop_runner.context import Context

SITE_FILE = "site.yml"
SEVERITIES = ("info", "warning", "critical")


@dataclass(frozen=True)
class Notice:
    """What to tell people: its kind (``feature.event``), a title, a body, a severity."""

    kind: str
    title: str
    body: str
    severity: str = "warning"


@dataclass(frozen=True)
class Target:
    """One place notices go: an apprise URL (read from its file when secret) and its kinds."""

    url: str
    kinds: tuple[str, ...] = ()

    def wants(self, kind: str) -> bool:
        """Given a notice kind, return whether this target takes it."""
        return not self.kinds or kind in self.kinds


@dataclass(frozen=True)
class Delivery:
    """How a notice went: targets it was meant for, how many took it, how many failed."""

    targets: int
    sent: int
    failed: int

    @property
    def ok(self) -> bool:
        return self.failed == 0


def load_targets(folder: Path) -> tuple[Target, ...]:
    """Given the inventory's folder, return the notification targets of its ``site.yml``.

    Raise SopError naming the file and the field when an entry is malformed, or a
    ``url_file`` is missing or readable by others than its owner.
    """
    path = folder / SITE_FILE
    if not path.exists():
        return ()
    try:
        data = yamlio.load(path.read_text()) or {}
    except yaml.YAMLError:
        raise SopError(_("site {path}: not valid YAML").format(path=path)) from None
    entries = data.get("notify") if isinstance(data, dict) else None
    if entries is None:
        return ()
    if not isinstance(entries, list):
        raise SopError(
            _("site {path}: notify: must be a list of targets (url or url_file)").format(path=path)
        )
    return tuple(_target(path, index, entry) for index, entry in enumerate(entries))


def _target(path: Path, index: int, entry: Any) -> Target:
    where = _("site {path}: {field}").format(path=path, field=f"notify[{index}]")
    if isinstance(entry, str):
        entry = {"url": entry}
    if not isinstance(entry, dict) or ("url" in entry) == ("url_file" in entry):
        raise SopError(_("{where}: give exactly one of url or url_file").format(where=where))
    kinds = entry.get("kinds") or []
    if not isinstance(kinds, list) or not all(isinstance(k, str) and k for k in kinds):
        raise SopError(
            _("{where}.kinds: must be a list of notice kinds (e.g. access.overdue)").format(
                where=where
            )
        )
    if "url" in entry:
        url = str(entry["url"]).strip()
    else:
        url = _read_secret_url(Path(str(entry["url_file"])), where)
    if "://" not in url:
        raise SopError(_("{where}: not an apprise URL (scheme://…)").format(where=where))
    return Target(url=url, kinds=tuple(kinds))


def _read_secret_url(path: Path, where: str) -> str:
    try:
        info = path.stat()
    except OSError:
        raise SopError(
            _("{where}.url_file: {path} not found").format(where=where, path=path)
        ) from None
    # A secret others can read is a secret already leaked: refuse it, as ssh does keys.
    if info.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise SopError(
            _("{where}.url_file: {path} is readable by others; chmod 600 it").format(
                where=where, path=path
            )
        )
    return path.read_text().strip()


def send(context: Context, notice: Notice) -> Delivery:
    """Given a notice, send it to every target of the site that takes its kind.

    Write the audit entry ``notice.sent`` (kind, title, severity, counts; no URL).
    Never raise on a failed delivery: it is counted in the returned Delivery.
    Raise SopError for an unknown severity or a malformed ``notify`` configuration.
    """
    if notice.severity not in SEVERITIES:
        raise SopError(
            _("severity: {value!r} is not allowed; use {allowed}").format(
                value=notice.severity, allowed=", ".join(SEVERITIES)
            )
        )
    inventory = context.settings.inventory
    folder = inventory if inventory.is_dir() else inventory.parent
    targets = [t for t in load_targets(folder) if t.wants(notice.kind)]
    delivery = deliver(targets, notice)
    from sop_runner import audit

    with context.session() as session:
        audit.append(
            session,
            _actor(),
            "notice.sent",
            f"notice/{notice.kind}",
            {
                "title": notice.title,
                "severity": notice.severity,
                "targets": delivery.targets,
                "sent": delivery.sent,
                "failed": delivery.failed,
            },
        )
    return delivery


def deliver(targets: Sequence[Target], notice: Notice) -> Delivery:
    """Given targets and a notice, hand it to each through apprise; return the counts."""
    if not targets:
        return Delivery(0, 0, 0)
    # apprise loads every notification plugin it has on import: only when one is sent.
    import apprise

    kind = {
        "info": apprise.NotifyType.INFO,
        "warning": apprise.NotifyType.WARNING,
        "critical": apprise.NotifyType.FAILURE,
    }[notice.severity]
    sent = failed = 0
    for target in targets:
        service = apprise.Apprise()
        # A URL apprise does not understand is a delivery that failed, not a crash.
        if service.add(target.url) and service.notify(
            title=notice.title, body=notice.body, notify_type=kind
        ):
            sent += 1
        else:
            failed += 1
    return Delivery(len(targets), sent, failed)


def _actor() -> str:
    # A notice is sent by the product on a person's or a timer's behalf; the audit
    # names the Unix account that ran it, the signed action that caused it has its own entry.
    try:
        import pwd

        return pwd.getpwuid(os.geteuid()).pw_name
    except KeyError:
        return str(os.geteuid())
