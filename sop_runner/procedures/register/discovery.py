"""Discovery: fill the register from the Ansible facts of reachable hosts.

What a host says of itself (serial, vendor and model, interfaces with MAC and
IPv4 addresses, CPU, RAM, disks) goes into the register: a host not yet there
is added (status *active*: it runs), with the kind its inventory group names
(``ROLE_GROUPS``); an address's prefix is registered when missing; the
specification is kept as history (a new entry only when it changed).  Nothing a
person typed is overwritten but the fields discovery owns (serial, MAC,
addresses, specification; vendor and model only when empty).

Facts come as Ansible gives them: ``ansible -m setup --tree DIR`` (one JSON file
per host, ``{"ansible_facts": …}``) or the jsonfile fact cache (the facts alone).
"""

from __future__ import annotations

import ipaddress
import json
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sop_runner.errors import SopError
from sop_runner.i18n import _
from sop_runner.procedures.register import network, service
from sop_runner.procedures.register.models import DeviceSpecChange, Prefix
from sop_runner.procedures.register.signing import Actor

# The inventory's groups the procedures use, by device kind (the inventory plugin makes
# them from the register; discovery reads them back as a new host's kind).
ROLE_GROUPS: dict[str, str] = {
    "server": "servers",
    "firewall": "firewalls",
    "storage": "backup_hosts",
    "router": "network_devices",
    "switch": "network_devices",
}
_GROUP_KINDS = {"servers": "server", "firewalls": "firewall", "backup_hosts": "storage"}
_GROUP_KINDS["network_devices"] = "router"
# Serial numbers that say nothing (VMs, containers, boards without one).
NO_SERIAL = {"", "na", "n/a", "none", "not specified", "to be filled by o.e.m.", "0"}


def kind_from_groups(groups: list[str]) -> str:
    """Given a host's inventory groups, return the device kind they name ("server" if none)."""
    for group in groups:
        if group in _GROUP_KINDS:
            return _GROUP_KINDS[group]
    return "server"


def load_facts(folder: Path) -> dict[str, dict[str, Any]]:
    """Given a folder of per-host fact files (setup --tree, or the jsonfile fact cache),
    return ``{host: facts}``.  Raise SopError naming a file that is not JSON facts."""
    if not folder.is_dir():
        raise SopError(
            _("facts: {folder} is not a folder of fact files (ansible -m setup --tree)").format(
                folder=folder
            )
        )
    found: dict[str, dict[str, Any]] = {}
    for path in sorted(folder.iterdir()):
        if path.name.startswith(".") or not path.is_file():
            continue
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError):
            raise SopError(_("facts: {path}: not JSON").format(path=path)) from None
        facts = data.get("ansible_facts", data) if isinstance(data, dict) else None
        if not isinstance(facts, dict) or "ansible_hostname" not in facts:
            raise SopError(
                _("facts: {path}: no Ansible facts (ansible_hostname missing)").format(path=path)
            )
        found[path.name.removesuffix(".json")] = facts
    return found


def summary(facts: dict[str, Any]) -> dict[str, Any]:
    """Given one host's Ansible facts, return what the register keeps of them."""
    interfaces = []
    for name in sorted(facts.get("ansible_interfaces") or []):
        detail = facts.get(f"ansible_{name.replace('-', '_').replace('.', '_')}") or {}
        if name == "lo" or detail.get("type") == "loopback":
            continue
        ipv4 = detail.get("ipv4") or {}
        address = None
        if ipv4.get("address") and ipv4.get("netmask"):
            address = str(ipaddress.ip_interface(f"{ipv4['address']}/{ipv4['netmask']}"))
        interfaces.append(
            {"name": name, "mac": str(detail.get("macaddress") or "").lower(), "address": address}
        )
    disks = {
        name: str(info.get("size", ""))
        for name, info in sorted((facts.get("ansible_devices") or {}).items())
        if not name.startswith(("loop", "ram", "dm-", "sr", "zram"))
    }
    serial = str(facts.get("ansible_product_serial") or "").strip()
    return {
        "serial": "" if serial.lower() in NO_SERIAL else serial,
        "vendor": str(facts.get("ansible_system_vendor") or "").strip(),
        "model": str(facts.get("ansible_product_name") or "").strip(),
        "interfaces": interfaces,
        "spec": {
            "cpu_count": facts.get("ansible_processor_vcpus")
            or facts.get("ansible_processor_count"),
            "memory_mb": facts.get("ansible_memtotal_mb"),
            "disks": disks,
            "os": " ".join(
                str(facts.get(k) or "")
                for k in ("ansible_distribution", "ansible_distribution_version")
            ).strip(),
        },
    }


def discover(
    session: Session,
    facts_by_host: dict[str, dict[str, Any]],
    actor: Actor,
    groups_by_host: dict[str, list[str]] | None = None,
    run_id: int | None = None,
) -> dict[str, list[str]]:
    """Given facts by host, fill the register; return ``{host: what changed}``."""
    changed: dict[str, list[str]] = {}
    for host, facts in sorted(facts_by_host.items()):
        found = summary(facts)
        what: list[str] = []
        device = service.get_device(session, host)
        if device is None:
            kind = kind_from_groups((groups_by_host or {}).get(host, []))
            device = service.add_device(
                session, host, actor, status="active", run_id=run_id, kind=kind,
                notes="ditemukan lewat discovery (fakta Ansible)",
            )  # fmt: skip
            what.append("added")
        fields = {"serial": found["serial"]} if found["serial"] else {}
        for key in ("vendor", "model"):
            if found[key] and not getattr(device, key):
                fields[key] = found[key]
        what += list(service.update_device(session, host, actor, **fields))
        for port in found["interfaces"]:
            before = network.get_interface(session, host, port["name"])
            if before is None or (port["mac"] and before.mac != port["mac"]):
                network.set_interface(session, host, port["name"], actor, mac=port["mac"])
                what.append(f"interface {port['name']}")
            if port["address"]:
                _prefix(session, port["address"], actor)
                mine = {
                    r.address
                    for r, _device, i in network.addresses(session, host)
                    if i == port["name"]
                }
                if port["address"] not in mine:
                    try:
                        network.assign_address(session, port["address"], host, port["name"], actor)
                    except SopError as clash:  # said, not fatal: the others still count
                        what.append(f"conflict: {clash}")
                    else:
                        what.append(f"address {port['address']}")
        if _new_spec(session, device.id, found["spec"]):
            service.record_spec(session, host, found["spec"], actor, "current", "discovery", run_id)
            what.append("spec")
        changed[host] = what
    return changed


def _prefix(session: Session, address: str, actor: Actor) -> None:
    """Given an address with its mask, register its network as a prefix when missing."""
    text = str(ipaddress.ip_interface(address).network)
    if session.scalars(select(Prefix).where(Prefix.prefix == text)).first() is None:
        network.add_prefix(session, text, actor, "ditemukan lewat discovery")


def _new_spec(session: Session, device_id: int, spec: dict[str, Any]) -> bool:
    last = session.scalars(
        select(DeviceSpecChange)
        .where(DeviceSpecChange.device_id == device_id)
        .order_by(DeviceSpecChange.id.desc())
    ).first()
    return last is None or last.spec != spec
