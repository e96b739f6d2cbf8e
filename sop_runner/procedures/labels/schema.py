"""The network/device schema (Dokumentasi skema jaringan/perangkat, SOP 1.2 step 6 and 3.2
step 4) drawn from the register by Graphviz ``dot``: rooms and racks as clusters, devices,
cables between interfaces, prefixes and the addresses in them; as SVG and PDF.

Each version whose content changed is kept (``skema-perangkat-vNNN.*``) beside the newest
(``skema-perangkat.svg`` / ``.pdf``), so the previous schema stays readable.
"""

from __future__ import annotations

import hashlib
import ipaddress
import shutil
import subprocess
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sop_runner.errors import SopError
from sop_runner.i18n import _

STEM = "skema-perangkat"


@dataclass(frozen=True)
class Drawn:
    """A schema written: its version, whether it is new, and its files (newest copies)."""

    version: int
    new: bool
    files: tuple[Path, ...]
    digest: str


def _q(text: Any) -> str:
    """Given a value from the register, return it as a quoted dot string (escaped)."""
    value = str(text).replace("\\", "\\\\").replace('"', '\\"')
    return '"' + value.replace("\n", "\\n").replace("\r", "") + '"'


def _device_node(device: dict[str, Any]) -> str:
    lines = [device.get("code") or device["name"], device["name"]]
    if device.get("function"):
        lines.append(device["function"])
    lines += [a["address"] for a in device.get("addresses", [])]
    shape = "box3d" if device.get("kind") in ("switch", "router", "firewall") else "box"
    return f"{_q('dev:' + device['name'])} [label={_q(chr(10).join(lines))}, shape={shape}];"


def dot_body(register: dict[str, Any]) -> str:
    """Given the register as data, return the schema's graph statements (no title)."""
    out: list[str] = []
    racks_in: dict[str | None, list[dict[str, Any]]] = {}
    for rack in register["racks"]:
        racks_in.setdefault(rack.get("room"), []).append(rack)
    devices = register["devices"]
    placed: set[str] = set()
    rooms = [room["name"] for room in register["rooms"]]
    for index, room in enumerate([*rooms, None]):
        in_room = [d for d in devices if d.get("room") == room and d["name"] not in placed]
        racks = racks_in.get(room, [])
        if room is None and not racks:
            continue
        if room is not None and not (racks or in_room):
            continue
        out.append(f"subgraph cluster_room_{index} {{ label={_q(room or 'tanpa ruang')};")
        for rack_index, rack in enumerate(racks):
            title = f"Rack {rack['name']} ({rack['u_height']}U)"
            out.append(
                f"subgraph cluster_rack_{index}_{rack_index} {{ label={_q(title)}; style=rounded;"
            )
            for device in sorted(
                (d for d in devices if d.get("rack") == rack["name"]),
                key=lambda d: -(d.get("position") or 0),
            ):
                out.append(_device_node(device))
                placed.add(device["name"])
            out.append("}")
        for device in in_room:
            if device["name"] not in placed:
                out.append(_device_node(device))
                placed.add(device["name"])
        out.append("}")
    for device in devices:
        if device["name"] not in placed:
            out.append(_device_node(device))
    for prefix in register["prefixes"]:
        network = ipaddress.ip_network(prefix["prefix"], strict=False)
        label = prefix["prefix"] + (
            f"\n{prefix['description']}" if prefix.get("description") else ""
        )
        out.append(f"{_q('pfx:' + prefix['prefix'])} [label={_q(label)}, shape=note];")
        for device in devices:
            for address in device.get("addresses", []):
                if ipaddress.ip_interface(address["address"]).ip in network:
                    out.append(
                        f"{_q('dev:' + device['name'])} -- {_q('pfx:' + prefix['prefix'])} "
                        f"[style=dashed, label={_q(address['address'])}];"
                    )
    for cable in register["cables"]:
        text = f"{cable['label']}\n{cable['a_interface']} – {cable['b_interface']}"
        out.append(
            f"{_q('dev:' + cable['a_device'])} -- {_q('dev:' + cable['b_device'])} "
            f"[label={_q(text)}, penwidth=2];"
        )
    return "\n".join(out)


def dot_source(register: dict[str, Any], title: str, body: str | None = None) -> str:
    """Given the register, the schema's title (and its body), return the whole dot source."""
    return (
        "graph skema {\n"
        'graph [fontname="Liberation Sans", fontsize=11, labelloc=t, rankdir=LR];\n'
        'node [fontname="Liberation Sans", fontsize=10];\n'
        'edge [fontname="Liberation Sans", fontsize=9];\n'
        f"label={_q(title)};\n{body if body is not None else dot_body(register)}\n}}\n"
    )


def render(source: str, fmt: str) -> bytes:
    """Given dot source and svg or pdf, return the drawing. Raise SopError if dot fails."""
    if shutil.which("dot") is None:
        raise SopError(
            _("schema: Graphviz `dot` is not installed; run `bash scripts/bootstrap.sh`")
        )
    done = subprocess.run(
        ["dot", f"-T{fmt}"], input=source.encode(), capture_output=True, timeout=60, check=False
    )
    if done.returncode != 0:
        raise SopError(
            _("schema: dot failed: {error}").format(
                error=done.stderr.decode(errors="replace")[:300]
            )
        )
    return done.stdout


def _versions(folder: Path) -> list[int]:
    return sorted(
        int(p.stem.rsplit("-v", 1)[1])
        for p in folder.glob(f"{STEM}-v*.dot")
        if p.stem[-3:].isdigit()
    )


def draw(register: dict[str, Any], folder: Path, title: str, when: datetime) -> Drawn:
    """Given the register, a folder and the title, write the schema (SVG, PDF, dot) there as
    a new version when its content changed since the newest one; return what is there.

    Raise SopError if dot fails.
    """
    body = dot_body(register)
    digest = hashlib.sha256(body.encode()).hexdigest()
    folder.mkdir(parents=True, exist_ok=True)
    versions = _versions(folder)
    newest = versions[-1] if versions else 0
    previous = folder / f"{STEM}-v{newest:03d}.sha256"
    if newest and previous.exists() and previous.read_text().strip() == digest:
        files = tuple(folder / f"{STEM}.{fmt}" for fmt in ("svg", "pdf"))
        return Drawn(newest, False, files, digest)
    version = newest + 1
    source = dot_source(register, f"{title} — versi {version} ({when:%Y-%m-%d %H.%M} WIB)", body)
    stem = folder / f"{STEM}-v{version:03d}"
    drawings = {fmt: render(source, fmt) for fmt in ("svg", "pdf")}
    stem.with_suffix(".dot").write_text(source)
    for fmt, data in drawings.items():
        stem.with_suffix(f".{fmt}").write_bytes(data)
        (folder / f"{STEM}.{fmt}").write_bytes(data)
    stem.with_suffix(".sha256").write_text(digest + "\n")
    return Drawn(version, True, tuple(folder / f"{STEM}.{fmt}" for fmt in ("svg", "pdf")), digest)
