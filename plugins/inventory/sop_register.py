"""Ansible inventory plugin: the hosts of the register (Buku daftar perangkat Pusat Data)."""

from __future__ import annotations

DOCUMENTATION = r"""
name: sop_register
short_description: Hosts, groups and host variables from the sop-pusatdata device register
description:
  - Reads the device register of sop-pusatdata (the store named by the trust root, or
    O(db_url)) and yields its devices as hosts, so the same truth feeds the playbooks.
  - A device becomes a host when its status is one of O(statuses) and its kind one of
    O(kinds); supporting facilities (AC, CCTV, catu daya, ...) have no SSH and are left out.
  - Groups by role (V(role_<kind>)), rack (V(rack_<rack>)) and owner OPD (V(opd_<opd>)), and
    the groups the procedures use (O(role_groups), e.g. C(servers), C(firewalls)).
  - Host variables from the register under C(sop_register) (code, kind, owner, function,
    vendor, model, serial, room, rack, position, feed, status, interfaces, addresses,
    spec), and C(ansible_host) from the first address of a non-virtual interface.
  - Other variables come from C(group_vars/) and C(host_vars/) beside the configuration
    file, as with any inventory source; the options of the constructed plugin
    (C(compose), C(groups), C(keyed_groups)) add more.
  - The configuration file's name must end in C(sop_register.yml) or C(sop_register.yaml).
extends_documentation_fragment:
  - ansible.builtin.constructed
options:
  plugin:
    description: The name of this plugin; it makes the file a configuration of it.
    required: true
    choices: [sop_register]
    type: str
  db_url:
    description:
      - The store to read (C(sqlite:///PATH) or C(postgresql://USER@HOST/DB)).
      - When not set, the store the trust root names (the one C(sop) itself uses).
    type: str
    env:
      - name: SOP_REGISTER_DB_URL
  statuses:
    description: The device statuses that make a host.
    type: list
    elements: str
    default: [active, decommissioning]
  kinds:
    description: The device kinds that make a host.
    type: list
    elements: str
    default: [server, switch, router, firewall, storage]
  role_groups:
    description: The inventory group each device kind joins (the groups the playbooks use).
    type: dict
    default:
      server: servers
      firewall: firewalls
      storage: backup_hosts
      router: network_devices
      switch: network_devices
  group_by:
    description: Which register fields make groups of their own (role, rack, opd).
    type: list
    elements: str
    choices: [role, rack, opd]
    default: [role, rack, opd]
notes:
  - Read only; the register changes through C(sop register) and the procedures.
"""

EXAMPLES = r"""
# inventory/register/sop_register.yml
plugin: sop_register
group_by: [role, rack, opd]
role_groups:
  server: servers
  firewall: firewalls
  storage: backup_hosts
  router: network_devices
# then: ansible-inventory -i inventory/register/sop_register.yml --graph
"""

import re  # noqa: E402
from typing import Any  # noqa: E402

from ansible.errors import AnsibleParserError  # noqa: E402
from ansible.plugins.inventory import BaseInventoryPlugin, Constructable  # noqa: E402

_NOT_NAME = re.compile(r"[^A-Za-z0-9_]")


def group_name(prefix: str, value: str) -> str:
    """Given a prefix and a register value, return a valid group name (role_server)."""
    return f"{prefix}_{_NOT_NAME.sub('_', value.strip().lower())}"


def host_address(device: dict[str, Any]) -> str | None:
    """Given a device of the register, return the IP of its first non-virtual interface."""
    virtual = {i["name"] for i in device["interfaces"] if i["type"] == "virtual"}
    for entry in device["addresses"]:
        if entry["interface"] not in virtual:
            return str(entry["address"]).split("/")[0]
    return None


def read_register(db_url: str | None) -> dict[str, Any]:
    """Given a store URL (None: the trusted one), return the whole register as data."""
    from sop_runner.procedures.register.reader import reading
    from sop_runner.procedures.register.views import register_dict

    if not db_url:
        from sop_runner.config import load_settings

        db_url = load_settings().db_url
    # Read-only, without engine_for's schema writes: `sop` may hold the write lock while
    # it loads this inventory (an approval, a run).
    with reading(db_url) as session:
        return register_dict(session)


class InventoryModule(BaseInventoryPlugin, Constructable):
    """The register's devices as Ansible hosts."""

    NAME = "sop_register"

    def verify_file(self, path: str) -> bool:
        return super().verify_file(path) and path.endswith(
            ("sop_register.yml", "sop_register.yaml")
        )

    def parse(self, inventory: Any, loader: Any, path: str, cache: bool = True) -> None:
        super().parse(inventory, loader, path, cache)
        self._read_config_data(path)
        try:
            register = read_register(self.get_option("db_url"))
        except Exception as error:  # any failure reading the store is the source's, said once
            raise AnsibleParserError(f"sop_register: cannot read the register: {error}") from None
        statuses, kinds = set(self.get_option("statuses")), set(self.get_option("kinds"))
        role_groups = self.get_option("role_groups") or {}
        group_by = set(self.get_option("group_by"))
        strict = self.get_option("strict")
        for device in register["devices"]:
            if device["status"] not in statuses or device["kind"] not in kinds:
                continue
            host = device["name"]
            self.inventory.add_host(host)
            self.inventory.set_variable(host, "sop_register", device)
            address = host_address(device)
            if address:
                self.inventory.set_variable(host, "ansible_host", address)
            groups = []
            if device["kind"] in role_groups:
                groups.append(role_groups[device["kind"]])
            if "role" in group_by:
                groups.append(group_name("role", device["kind"]))
            if "rack" in group_by and device["rack"]:
                groups.append(group_name("rack", device["rack"]))
            if "opd" in group_by and device["owner"]:
                groups.append(group_name("opd", device["owner"]))
            for group in groups:
                self.inventory.add_group(group)
                self.inventory.add_child(group, host)
            variables = self.inventory.get_host(host).get_vars()
            self._set_composite_vars(self.get_option("compose"), variables, host, strict)
            self._add_host_to_composed_groups(self.get_option("groups"), variables, host, strict)
            self._add_host_to_keyed_groups(self.get_option("keyed_groups"), variables, host, strict)
