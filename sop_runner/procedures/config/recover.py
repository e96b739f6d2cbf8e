"""Network changes nobody will finish (SOP 3.1): roll them back, say so, record it.

A netmiko change is confirmed, rolled back by its run, or restored at its
deadline by its revert watchdog (plugins/module_utils/sop_netwatch.py).  When
the watchdog died as well (the controller rebooted, the process was killed), the
change stays on the device.  This module finds such changes and rolls them back:
``sop config recover`` (the command, with a full account) and, through the
feature's start-up hook ``on_startup``, every start of ``sop`` (one directory
listing when nothing is left).  A change that cannot be rolled back is kept,
blocks new changes to its device, is said loudly at every start and is recorded
in the audit trail.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
from collections.abc import Callable
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

from sop_runner.config import REPO_ROOT
from sop_runner.errors import SopError
from sop_runner.i18n import _
from sop_runner.procedures.config.words import WORDS

if TYPE_CHECKING:
    from sop_runner.context import Context

# The start-up hook runs at every `sop` start: the store (audit, Context) is
# imported only when there is a change to roll back (recover_all, on_startup).

# sop_netwatch.WATCH_DIR (a unit test holds them equal), known here so that an idle
# start of `sop` is one directory listing, without loading the watchdog's module.
WATCH_DIR = Path("/var/lib/sop-netwatch")


@cache
def netwatch() -> ModuleType:
    """Return the watchdog's module (plugins/module_utils/sop_netwatch.py), imported once.

    It is imported under the name Ansible gives it (``ansible.module_utils.sop_netwatch``,
    the folder being this repository's module_utils in ansible.cfg), the name sop_netmiko
    imports it by, so one process holds one copy of it.
    """
    import ansible.module_utils

    folder = str(REPO_ROOT / "plugins" / "module_utils")
    if folder not in ansible.module_utils.__path__:
        ansible.module_utils.__path__.append(folder)  # after Ansible's own: none shadowed
    return importlib.import_module("ansible.module_utils.sop_netwatch")


def _record(ctx: Context | None, outcome: object) -> None:
    """Given what became of a change, append it to the audit trail (no secrets)."""
    from sop_runner import audit

    if ctx is None:
        raise RuntimeError("no store (see the line above)")
    restored = bool(getattr(outcome, "restored", False))
    with ctx.session() as session:
        audit.append(
            session,
            os.environ.get("SOP_OPERATOR") or "sop",
            "config.recovered" if restored else "config.recovery_failed",
            f"netwatch/{getattr(outcome, 'host', '?')}",
            {
                "host": getattr(outcome, "host", "?"),
                "token": getattr(outcome, "token", "?"),
                "why": getattr(outcome, "message", ""),
            },
        )


def recover_all(
    ctx: Context | None,
    lang: str,
    watch_dir: Path,
    say: Callable[[str], None],
    retry: bool,
) -> tuple[int, int]:
    """Given the watch directory, roll back every change left behind.

    Return (how many changes were found, how many are not rolled back).

    Each outcome is said and recorded.  With ``retry`` the changes an earlier
    attempt could not roll back are tried again; without, they are only said.
    """
    words = WORDS[lang]
    nw = netwatch()
    left, unrecovered = nw.orphans(watch_dir)
    failed = 0
    for path in left + (unrecovered if retry else []):
        try:
            outcome = nw.recover(watch_dir, path)
        except FileNotFoundError:  # another `sop` took it first
            continue
        key = "recover_restored" if outcome.restored else "recover_failed"
        say(words[key].format(host=outcome.host, token=outcome.token, why=outcome.message))
        failed += not outcome.restored
        try:
            _record(ctx, outcome)
        except Exception as exc:  # the rollback stands; the record is what failed
            say(words["recover_unrecorded"].format(why=exc))
    if not retry:
        for path in unrecovered:
            failed += 1
            say(words["recover_left"].format(**_described(path), path=path))
    return len(left) + len(unrecovered), failed


def _described(path: Path) -> dict[str, str]:
    """Given a state file, return its host and token for a message."""
    try:
        state = json.loads(path.read_text())
    except (OSError, ValueError):
        return {"host": path.name, "token": "?"}
    host = str((state.get("params") or {}).get("host", "?"))
    return {"host": host, "token": str(state.get("token", "?"))}


def waiting(watch_dir: Path) -> list[dict[str, str]]:
    """Given the watch directory, return the changes still within their window."""
    return [_described(p) for p in sorted(watch_dir.glob("*.pending.json"))]


def recover_now(ctx: Context, lang: str, say: Callable[[str], None]) -> bool:
    """Given the store, roll back what is left (trying failed ones again) and say all of it.

    Return whether nothing is left unrolled-back.  Raise SopError if the watch
    directory cannot be read (not root).
    """
    if WATCH_DIR.exists() and not os.access(WATCH_DIR, os.R_OK | os.X_OK):
        raise SopError(
            _("config recover: cannot read {path}; run it as root").format(path=WATCH_DIR)
        )
    found, failed = recover_all(ctx, lang, WATCH_DIR, say, retry=True)
    still = waiting(WATCH_DIR) if WATCH_DIR.exists() else []
    for change in still:
        say(WORDS[lang]["recover_waiting"].format(**change))
    if not found and not still:
        say(WORDS[lang]["recover_none"])
    return not failed


def on_startup(ctx: Context | None = None) -> None:
    """At the start of `sop`: roll back what no watchdog will, warn of what cannot be."""
    if sys.argv[1:3] == ["config", "recover"]:
        return  # the command does the same, and says more
    try:
        if not any(name.endswith(".json") for name in os.listdir(WATCH_DIR)):
            return
    except OSError:  # none yet, or not ours to read (not root)
        return
    left, unrecovered = netwatch().orphans(WATCH_DIR)
    if not left and not unrecovered:
        return

    def say(line: str) -> None:
        print(f"sop: {line}", file=sys.stderr)

    from sop_runner.context import Context

    lang = "id"
    try:
        ctx = ctx or Context()
        lang = ctx.settings.lang
    except Exception as exc:  # a broken setting must not hide the warning
        say(f"config recover: {exc}")
    recover_all(ctx, lang, WATCH_DIR, say, retry=False)
