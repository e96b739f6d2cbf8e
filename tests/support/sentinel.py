"""Looking for a planted secret everywhere a run leaves something: every process's
command line while it runs (a sampler thread over /proc), files, every table of the store.

A secret is looked for as written and as JSON writes it (quotes and backslashes
escaped, non-ASCII as \\uXXXX), so a secret inside an event file is found too.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterable
from pathlib import Path

from sqlalchemy import MetaData, create_engine, select


def forms(secret: str) -> set[bytes]:
    """Given a secret, return the byte strings it may be stored as."""
    return {
        secret.encode(),
        json.dumps(secret)[1:-1].encode(),
        json.dumps(secret, ensure_ascii=False)[1:-1].encode(),
    }


class CmdlineSampler(threading.Thread):
    """Every few milliseconds, read /proc/*/cmdline of every process (the lab's hosts
    included: their PID namespaces are children of ours); keep the command lines that
    hold a secret, and those that hold a word of ``watch`` (to show what was seen)."""

    def __init__(
        self, secrets: Iterable[str], watch: Iterable[str] = (), interval: float = 0.01
    ) -> None:
        super().__init__(daemon=True)
        self.needles = {f for s in secrets for f in forms(s)}
        self.watch = [w.encode() for w in ("ansible-playbook", *watch)]
        self.interval = interval
        self.hits: list[str] = []
        self.seen: set[str] = set()
        self.samples = 0
        self._done = threading.Event()

    def run(self) -> None:
        me = str(os.getpid())
        while not self._done.is_set():
            for entry in os.scandir("/proc"):
                if not entry.name.isdigit() or entry.name == me:
                    continue
                try:
                    with open(f"/proc/{entry.name}/cmdline", "rb") as handle:
                        raw = handle.read()
                except OSError:
                    continue
                if any(needle in raw for needle in self.needles):
                    self.hits.append(raw.replace(b"\0", b" ").decode("utf-8", "replace"))
                if any(word in raw for word in self.watch):
                    self.seen.add(raw.replace(b"\0", b" ").decode("utf-8", "replace"))
            self.samples += 1
            time.sleep(self.interval)

    def __enter__(self) -> CmdlineSampler:
        self.start()
        return self

    def seen_with(self, word: str) -> list[str]:
        """Given a word, return the command lines seen that hold it."""
        return sorted(line for line in self.seen if word in line)

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        self.join(timeout=10)


def files_holding(root: Path, secrets: Iterable[str], since: float | None = None) -> list[str]:
    """Given a folder, return the files under it (modified since ``since``, if given)
    that hold a secret."""
    needles = {f for s in secrets for f in forms(s)}
    found = []
    for where, _dirs, files in os.walk(root):
        for name in files:
            path = Path(where) / name
            try:
                if path.is_symlink() or not path.is_file():
                    continue
                if since is not None and path.stat().st_mtime < since:
                    continue
                data = path.read_bytes()
            except OSError:
                continue
            if any(needle in data for needle in needles):
                found.append(str(path))
    return found


def tables_holding(db_url: str, secrets: Iterable[str]) -> list[str]:
    """Given the store's URL, return "table: row" for every row of every table that holds
    a secret (the audit trail included)."""
    needles = {f.decode() for s in secrets for f in forms(s)}
    engine = create_engine(db_url.replace("postgresql://", "postgresql+psycopg://", 1))
    found = []
    try:
        meta = MetaData()
        meta.reflect(engine)
        with engine.connect() as conn:
            for table in meta.sorted_tables:
                for row in conn.execute(select(table)):
                    text = json.dumps([str(v) for v in row], ensure_ascii=False)
                    text += json.dumps([str(v) for v in row])
                    if any(needle in text for needle in needles):
                        found.append(f"{table.name}: {text[:300]}")
    finally:
        engine.dispose()
    return found
