"""The features' entry points, kept between starts (issue 17, start-up).

``importlib.metadata`` reads every installed distribution's metadata to find two
entry-point groups: about 20 ms of every `sop` start, for an answer that changes only
when a distribution is installed, removed or upgraded.  Each of those adds or removes a
``*.dist-info`` folder, so it changes the modification time of a folder on ``sys.path``;
the entry points found are kept as a JSON file named by the SHA-256 of ``sys.path``
and those folders' times, in the package's own ``__pycache__`` (as
sop_runner/catalog/cache.py keeps the validated catalog): written only by whoever can
write the package, as trusted as the ``.pyc`` files beside it.  Another path (a
``PYTHONPATH``) or any install gives another name and a fresh scan.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sop_runner.kept_files import keep
from sop_runner.sha256 import sha256

CACHE_DIR = Path(__file__).resolve().parent / "__pycache__"
KEEP = 64  # kept answers: one per distinct sys.path in use (tests add their own)


@dataclass(frozen=True)
class Entry:
    """One entry point: its group, name and ``module:attribute`` value."""

    group: str
    name: str
    value: str

    def load(self) -> Any:
        """Return the object the value names (importing its module), as EntryPoint.load."""
        module, _, attribute = self.value.split("[", 1)[0].partition(":")
        found: Any = importlib.import_module(module.strip())
        for part in attribute.strip().split(".") if attribute.strip() else []:
            found = getattr(found, part)
        return found


def _key(groups: Sequence[str]) -> str:
    """Return the SHA-256 of the groups, sys.path and the times of its folders."""
    parts: list[str] = [sys.version, *groups]
    for entry in sys.path:
        try:
            parts.append(f"{entry}\0{os.stat(entry or '.').st_mtime_ns}")
        except OSError:
            parts.append(f"{entry}\0-")
    return sha256("\n".join(parts).encode()).hexdigest()


def _scan(groups: Sequence[str]) -> list[Entry]:
    from importlib.metadata import entry_points

    found = entry_points()
    return [Entry(group, e.name, e.value) for group in groups for e in found.select(group=group)]


def entry_points(groups: Sequence[str]) -> list[Entry]:
    """Given entry-point groups, return their entry points of every installed distribution,
    group by group in the order importlib.metadata finds them (kept from an earlier start
    when nothing was installed since)."""
    path = CACHE_DIR / f"entry-points-{_key(groups)[:40]}.json"
    try:
        return [Entry(*row) for row in json.loads(path.read_text())]
    except (OSError, ValueError, TypeError):
        pass
    found = _scan(groups)
    _keep(path, found)
    return found


def _keep(path: Path, found: list[Entry]) -> None:
    """Write the answer, keeping the KEEP newest; a package folder not ours to write:
    scan at each start."""
    answer = json.dumps([[e.group, e.name, e.value] for e in found]).encode()
    keep(path, answer, "entry-points-*.json", KEEP)
