"""What each label says: pure functions of the register as data (register.register_dict)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

# The QR codes point at the register entry (the `sop register` entry of that name).
QR_PREFIX = "sop-pusatdata:register"
ENDS = ("A", "B")


@dataclass(frozen=True)
class Label:
    """One label: its big line, smaller lines, and what its QR code holds."""

    kind: str  # device | rack | cable
    title: str
    lines: tuple[str, ...]
    qr: str


def device_qr(name: str) -> str:
    """Given a device name, return what its label's QR code holds."""
    return f"{QR_PREFIX}/device/{quote(name, safe='')}"


def cable_qr(label: str, end: str) -> str:
    """Given a cable's label and an end (A or B), return what that end's QR code holds."""
    return f"{QR_PREFIX}/cable/{quote(label, safe='')}?ujung={end}"


def _place(device: dict[str, Any]) -> str:
    rack, position = device.get("rack"), device.get("position")
    if rack and position:
        return f"{rack} U{position}"
    return str(rack or device.get("room") or "")


def device_labels(register: dict[str, Any], names: list[str] | None = None) -> list[Label]:
    """Given the register (and device names, or None for all), return one label per device:
    its code, its name, where it is, and a QR code to its register entry.

    Raise KeyError naming a device the register does not have.
    """
    by_name = {d["name"]: d for d in register["devices"]}
    for name in names or []:
        if name not in by_name:
            raise KeyError(name)
    chosen = [by_name[n] for n in names] if names else list(register["devices"])
    labels = []
    for device in chosen:
        code = device.get("code") or device["name"]
        lines = (device["name"], _place(device))
        labels.append(
            Label("device", code, tuple(x for x in lines if x), device_qr(device["name"]))
        )
    return labels


def rack_labels(register: dict[str, Any]) -> list[Label]:
    """Given the register, return one label per rack (the SOP names "rack server" too)."""
    labels = []
    for rack in register["racks"]:
        lines = tuple(x for x in (f"{rack['u_height']}U", rack.get("room")) if x)
        qr = f"{QR_PREFIX}/rack/{quote(rack['name'], safe='')}"
        labels.append(Label("rack", rack["name"], lines, qr))
    return labels


def cable_labels(register: dict[str, Any], devices: list[str] | None = None) -> list[Label]:
    """Given the register (and device names, or None for every cable), return two labels for
    each cable (of those devices): end A and end B, each with the cable's id and the device
    codes and interfaces of both ends, this end's first."""
    codes = {d["name"]: d.get("code") or d["name"] for d in register["devices"]}
    labels = []
    for cable in register["cables"]:
        if devices and not {cable["a_device"], cable["b_device"]} & set(devices):
            continue
        a = f"{codes.get(cable['a_device'], cable['a_device'])}:{cable['a_interface']}"
        b = f"{codes.get(cable['b_device'], cable['b_device'])}:{cable['b_interface']}"
        for end, here, there in (("A", a, b), ("B", b, a)):
            labels.append(
                Label("cable", cable["label"], (f"ujung {end}", here, f"→ {there}"),
                      cable_qr(cable["label"], end))
            )  # fmt: skip
    return labels
