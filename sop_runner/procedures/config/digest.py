"""The fingerprint of a desired configuration, which a 3.1 approval is bound to.

A 3.1 request names a merge (``config_ref``), but what is applied is whatever
the repository's templates and the inventory's values render at run time.  So
that an approval covers exactly what the approvers reviewed, the request
also fixes ``config_digest``: a SHA-256 over every file that decides the
rendered configuration of its targets.  The gate of config_apply.yml computes
the same digest when it runs (lookup ``sop_config_digest``); an edit after the
approval makes the two differ and the run is refused.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from sop_runner.config import REPO_ROOT

PLAYBOOK = "playbooks/config_apply.yml"


def _files_under(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    if not path.is_dir():
        return []
    return sorted(p for p in path.rglob("*") if p.is_file() and "__pycache__" not in p.parts)


def digest_inputs(inventory_dir: Path, hosts: Iterable[str], root: Path = REPO_ROOT) -> list[str]:
    """Given an inventory directory and target hosts, return the files that decide the
    rendered configuration, as the names the digest records (missing ones included)."""
    wanted: list[tuple[str, Path]] = []
    for name in ("hosts.yml", "hosts.yaml"):
        wanted.append((f"inventory/{name}", inventory_dir / name))
    for path in _files_under(inventory_dir / "group_vars"):
        wanted.append((f"inventory/{path.relative_to(inventory_dir)}", path))
    for host in sorted(set(hosts)):
        host_vars = inventory_dir / "host_vars"
        found = _files_under(host_vars / host) + _files_under(host_vars / f"{host}.yml")
        if not found:  # a host_vars file added later changes the digest
            wanted.append((f"inventory/host_vars/{host}.yml", host_vars / f"{host}.yml"))
        wanted += [(f"inventory/{p.relative_to(inventory_dir)}", p) for p in found]
    for path in _files_under(root / "roles"):
        wanted.append((str(path.relative_to(root)), path))
    wanted.append((PLAYBOOK, root / PLAYBOOK))
    return [f"{name}\0{_content_hash(path)}" for name, path in wanted]


def _content_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "absent"


def config_digest(inventory_dir: Path, hosts: Iterable[str], root: Path = REPO_ROOT) -> str:
    """Given an inventory directory and target hosts, return the desired state's digest."""
    text = "\n".join(digest_inputs(inventory_dir, hosts, root))
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def derive_31(inventory_dir: Path, targets: list[str], params: dict[str, Any]) -> dict[str, Any]:
    """Given a 3.1 request's targets, return the parameters `sop request` adds itself."""
    return {"config_digest": config_digest(inventory_dir, targets)}
