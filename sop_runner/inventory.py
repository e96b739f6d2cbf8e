"""The inventory as `sop` needs it: host names, groups, and the service catalog."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from sop_runner import yamlio
from sop_runner.errors import SopError

CRITICALITIES = ("critical", "normal")


@dataclass(frozen=True)
class Service:
    name: str
    title: str
    opd: str
    criticality: str
    hosts: tuple[str, ...]
    port: int | None = None
    contact: str | None = None


@dataclass(frozen=True)
class Inventory:
    path: Path
    hosts: frozenset[str]
    groups: dict[str, frozenset[str]]
    services: tuple[Service, ...]

    def resolve_targets(self, targets: list[str]) -> list[str]:
        """Given host or group names, return the sorted host names.

        Raise SopError naming the first unknown target.
        """
        if not targets:
            raise SopError("--target: at least one host or group of the inventory is required")
        resolved: set[str] = set()
        for target in targets:
            if target in self.hosts:
                resolved.add(target)
            elif target in self.groups:
                resolved |= self.groups[target]
            else:
                known = ", ".join(sorted(self.hosts)) or "none"
                raise SopError(
                    f"--target: {target!r} is not a host or group of the inventory "
                    f"{self.path}; known hosts: {known}"
                )
        return sorted(resolved)


def _walk_group(name: str, node: dict[str, Any], groups: dict[str, set[str]]) -> set[str]:
    members = set((node.get("hosts") or {}).keys())
    for child, child_node in (node.get("children") or {}).items():
        members |= _walk_group(child, child_node or {}, groups)
    groups.setdefault(name, set()).update(members)
    return members


def load_inventory(path: Path) -> Inventory:
    """Given an inventory directory (hosts.yml, services.yml) return it parsed.

    Raise SopError naming the file if it is missing or malformed.
    """
    hosts_file = path / "hosts.yml" if path.is_dir() else path
    if not hosts_file.exists():
        raise SopError(f"inventory {hosts_file}: not found; set SOP_INVENTORY")
    try:
        data = yamlio.load(hosts_file.read_text()) or {}
    except yaml.YAMLError:
        raise SopError(f"inventory {hosts_file}: not valid YAML") from None
    groups: dict[str, set[str]] = {}
    all_hosts: set[str] = set()
    for name, node in data.items():
        all_hosts |= _walk_group(name, node or {}, groups)
    services_file = hosts_file.parent / "services.yml"
    return Inventory(
        path=hosts_file,
        hosts=frozenset(all_hosts),
        groups={k: frozenset(v) for k, v in groups.items()},
        services=_load_services(services_file, all_hosts),
    )


def _load_services(path: Path, hosts: set[str]) -> tuple[Service, ...]:
    if not path.exists():
        return ()
    try:
        data = yamlio.load(path.read_text()) or {}
    except yaml.YAMLError:
        raise SopError(f"service catalog {path}: not valid YAML") from None
    services = []
    for index, entry in enumerate(data.get("services") or []):
        where = f"service catalog {path}: services[{index}]"
        for field in ("name", "opd", "criticality", "hosts"):
            if field not in entry:
                raise SopError(f"{where}.{field}: required")
        if entry["criticality"] not in CRITICALITIES:
            raise SopError(f"{where}.criticality: one of {', '.join(CRITICALITIES)}")
        unknown = [h for h in entry["hosts"] if h not in hosts]
        if unknown:
            raise SopError(f"{where}.hosts: {unknown[0]!r} is not a host of the inventory")
        services.append(
            Service(
                name=entry["name"],
                title=entry.get("title", entry["name"]),
                opd=entry["opd"],
                criticality=entry["criticality"],
                hosts=tuple(entry["hosts"]),
                port=entry.get("port"),
                contact=entry.get("contact"),
            )
        )
    return tuple(services)
