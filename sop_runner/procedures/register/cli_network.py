"""`sop register interface|prefix|ip|cable|check`: the register's network and 1.2's check."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from sop_runner.cli.options import As, Json, command, out, subcommand
from sop_runner.context import Context
from sop_runner.errors import SopError
from sop_runner.i18n import _
from sop_runner.procedures.register import capacity, network, views
from sop_runner.procedures.register.cli import change, print_json, say

prefixes = typer.Typer(help=_("IP prefixes addresses are taken from."))
ips = typer.Typer(help=_("IP addresses on the devices' interfaces."))
cables = typer.Typer(help=_("Cables: both ends (device interface), label, type, length."))


def attach(cli: typer.Typer) -> None:
    """Given the `sop register` app, add its network commands."""
    command(cli, interface_command, "interface")
    command(cli, check_command, "check")
    cli.add_typer(prefixes, name="prefix")
    cli.add_typer(ips, name="ip")
    cli.add_typer(cables, name="cable")


def end(text: str, option: str) -> tuple[str, str]:
    """Given DEVICE:INTERFACE, return both.  Raise SopError naming the option otherwise."""
    device, sep, interface = text.partition(":")
    if not sep or not device or not interface:
        raise SopError(
            _("{option}: {text!r} is not allowed; give DEVICE:INTERFACE, e.g. srv1:eth0").format(
                option=option, text=text
            )
        )
    return device, interface


def interface_command(
    device: str,
    name: str,
    mac: Annotated[str, typer.Option(help=_("MAC address"))] = "",
    type: Annotated[str, typer.Option("--type", help=_("e.g. 1000base-t, virtual"))] = "",
    as_: As = None,
) -> None:
    """Add a device's interface, or change its MAC."""
    change(as_, lambda s, who: network.set_interface(s, device, name, who, mac, type))
    say(f"{device} {name} {mac}".rstrip())


@subcommand(prefixes, "add")
def prefix_add(
    prefix: str,
    description: Annotated[str, typer.Option(help=_("what the prefix is for"))] = "",
    as_: As = None,
) -> None:
    """Register a prefix, e.g. 10.10.0.0/24."""
    change(as_, lambda s, who: network.add_prefix(s, prefix, who, description))
    say(_("prefix {prefix} registered").format(prefix=prefix))


@subcommand(ips, "add")
def ip_add(
    address: str,
    on: Annotated[str, typer.Option("--on", help=_("DEVICE:INTERFACE"))],
    dns_name: Annotated[str, typer.Option("--dns-name")] = "",
    as_: As = None,
) -> None:
    """Assign an address with its mask (10.10.0.5/24) to a device's interface."""
    device, interface = end(on, "--on")
    change(as_, lambda s, who: network.assign_address(s, address, device, interface, who, dns_name))
    say(
        _("{address} on {device} {interface}").format(
            address=address, device=device, interface=interface
        )
    )


@subcommand(ips, "list")
def ip_list(as_json: Json = False) -> None:
    """List the assigned addresses."""
    with Context().session() as session:
        rows = [
            {"address": r.address, "device": d, "interface": i, "dns_name": r.dns_name}
            for r, d, i in network.addresses(session)
        ]
    if as_json:
        print_json({"schema": "sop.register-ips/1", "addresses": rows})
        return
    table = Table(_("address"), _("device"), "interface", _("dns name"))
    for r in rows:
        table.add_row(r["address"], r["device"], r["interface"], r["dns_name"])
    out.print(table)


@subcommand(cables, "add")
def cable_add(
    label: str,
    a: Annotated[str, typer.Option("--a", help=_("DEVICE:INTERFACE of end A"))],
    b: Annotated[str, typer.Option("--b", help=_("DEVICE:INTERFACE of end B"))],
    type: Annotated[
        str, typer.Option("--type", help=", ".join(f"`{t}`" for t in network.CABLE_TYPES))
    ] = "cat6",
    length: Annotated[float | None, typer.Option(help=_("length in metres"))] = None,
    as_: As = None,
) -> None:
    """Register a cable between two interfaces; its label goes on both ends."""
    ends = end(a, "--a"), end(b, "--b")
    change(as_, lambda s, who: network.add_cable(s, label, ends[0], ends[1], who, type, length))
    say(_("cable {label}: {a} ↔ {b}").format(label=label, a=a, b=b))


@subcommand(cables, "list")
def cable_list(as_json: Json = False) -> None:
    """List the cables."""
    with Context().session() as session:
        rows = network.cables(session)
    if as_json:
        print_json({"schema": "sop.register-cables/1", "cables": rows})
        return
    table = Table("label", "A", "B", _("type"), _("length"))
    for c in rows:
        table.add_row(
            str(c["label"]),
            f"{c['a_device']}:{c['a_interface']}",
            f"{c['b_device']}:{c['b_interface']}",
            str(c["type"]),
            "" if c["length"] is None else f"{c['length']} m",
        )
    out.print(table)


def check_command(
    device: str,
    rack: Annotated[str, typer.Option(help=_("the rack chosen"))],
    feed: Annotated[str, typer.Option(help=_("the power feed chosen"))],
    switch: Annotated[str | None, typer.Option(help=_("the switch for its uplink"))] = None,
    prefix: Annotated[str | None, typer.Option(help=_("the prefix for its address"))] = None,
    as_json: Json = False,
) -> None:
    """SOP 1.2 step 2: check rack units, power, a switch port and an address for a device."""
    with Context().session() as session:
        found = capacity.check_resources(session, device, rack, feed, switch, prefix)
    if as_json:
        print_json({"schema": "sop.register-check/1", **found.as_dict()})
        return
    out.print(views.check_text(found), markup=False, highlight=False)
    if not found.ok:
        raise typer.Exit(1)
