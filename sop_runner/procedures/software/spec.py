"""A software spec beside the inventory (``software/NAME.yml``): what the software is, what
it needs of the host, and how it is installed (docs/software.md).

The inventory's folder is named by the root-owned trust file, so a spec is as trusted as
the inventory itself; `sop request` fixes its SHA-256 so the approval covers it.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from sop_runner.errors import SopError
from sop_runner.i18n import _

FOLDER = "software"
NAME = re.compile(r"[a-z0-9][a-z0-9-]{0,62}")
REQUIRES = ("os", "cpu_cores", "ram_mb", "disk_free_mb", "packages", "ports_free")
FIELDS = {
    "name": str,
    "title": str,
    "version": str,
    "licence": str,
    "owner": str,
    "source_code_handed_over": bool,
    "requires": dict,
    "install": dict,
}


@dataclass(frozen=True)
class Spec:
    """A software spec as read from its file."""

    name: str
    title: str
    version: str
    licence: str
    owner: str
    source_code_handed_over: bool
    requires: dict[str, Any]
    install: dict[str, Any]
    digest: str


def spec_path(inventory_dir: Path, name: str) -> Path:
    """Given the inventory's folder and a software name, return its spec's path.

    Raise SopError if the name is not a spec name (lower-case letters, digits, '-').
    """
    if not NAME.fullmatch(name):
        raise SopError(
            _(
                "software: {name!r} is not allowed; use lower-case letters, digits and '-' "
                "(the name of a file software/NAME.yml beside the inventory)"
            ).format(name=name)
        )
    return inventory_dir / FOLDER / f"{name}.yml"


def digest_of(data: bytes) -> str:
    """Given a spec file's bytes, return the digest a request fixes ('sha256:…')."""
    return "sha256:" + hashlib.sha256(data).hexdigest()


def check(raw: Any, where: str) -> None:
    """Given a parsed spec, return if it has every field with its type.

    Raise SopError naming the file and the first field that is missing or wrong.
    """
    if not isinstance(raw, dict):
        raise SopError(
            _("{where}: a spec is a mapping of {fields}").format(
                where=where, fields=", ".join(FIELDS)
            )
        )
    for key, kind in FIELDS.items():
        if not isinstance(raw.get(key), kind):
            raise SopError(
                _("{where}: {key}: missing or not a {kind}").format(
                    where=where, key=key, kind=kind.__name__
                )
            )
    unknown = sorted(set(raw) - set(FIELDS))
    if unknown:
        raise SopError(
            _("{where}: {key}: not allowed; allowed: {allowed}").format(
                where=where, key=unknown[0], allowed=", ".join(FIELDS)
            )
        )
    bad = sorted(set(raw["requires"]) - set(REQUIRES))
    if bad:
        raise SopError(
            _("{where}: {key}: not allowed; allowed: {allowed}").format(
                where=where, key=f"requires.{bad[0]}", allowed=", ".join(REQUIRES)
            )
        )
    if not isinstance(raw["install"].get("package"), str):
        raise SopError(
            _("{where}: install.package: missing (the Debian package to install)").format(
                where=where
            )
        )


def load_spec(inventory_dir: Path, name: str) -> Spec:
    """Given the inventory's folder and a software name, return its spec.

    Raise SopError if the name is not allowed, the file is missing, or a field is wrong.
    """
    path = spec_path(inventory_dir, name)
    try:
        data = path.read_bytes()
    except OSError:
        known = sorted(p.stem for p in (inventory_dir / FOLDER).glob("*.yml"))
        raise SopError(
            _("software: no spec {name!r} in {folder}; known: {known}").format(
                name=name, folder=path.parent, known=", ".join(known) or _("none")
            )
        ) from None
    raw = yaml.safe_load(data)
    check(raw, str(path))
    if raw["name"] != name:
        raise SopError(
            _("{path}: name: {found!r} must be the file's name {name!r}").format(
                path=path, found=raw["name"], name=name
            )
        )
    return Spec(**{key: raw[key] for key in FIELDS}, digest=digest_of(data))
