"""The inventory as `sop` needs it: hosts, groups, host variables and the service catalog.

Hosts, groups and variables are read by Ansible's own inventory API
(``InventoryManager`` and ``VariableManager``), so what `sop` sees is what the
playbooks see: YAML or INI files, ``host_vars/`` and ``group_vars/`` beside them,
and inventory scripts or plugins.  The service catalog is ``services.yml``
beside the inventory (not an Ansible format, so it is read here).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from sop_runner import yamlio
from sop_runner.errors import SopError
from sop_runner.i18n import _
from sop_runner.inventory_names import read_names
from sop_runner.site import Site, load_site

CRITICALITIES = ("critical", "normal")
SERVICES_FILE = "services.yml"


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
    variables: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    # The places (rooms) of the site and the project's own gates (site.yml beside it).
    site: Site = field(default_factory=Site)

    def resolve_targets(self, targets: list[str]) -> list[str]:
        """Given host or group names, return the sorted host names.

        Raise SopError naming the first unknown target.
        """
        if not targets:
            raise SopError(_("--target: at least one host or group of the inventory is required"))
        resolved: set[str] = set()
        for target in targets:
            if target in self.hosts:
                resolved.add(target)
            elif target in self.groups:
                resolved |= self.groups[target]
            else:
                known = ", ".join(sorted(self.hosts)) or _("none")
                raise SopError(
                    _(
                        "--target: {target!r} is not a host or group of the inventory "
                        "{path}; known hosts: {known}"
                    ).format(target=target, path=self.path, known=known)
                )
        return sorted(resolved)

    def host_vars(self, host: str) -> dict[str, Any]:
        """Given a host name, return its variables as the inventory sets them.

        Group and host variables are merged by Ansible's precedence; values
        are not templated (a ``"{{ … }}"`` value stays text).  Raise SopError
        if the host is not in the inventory.
        """
        if host not in self.variables:
            raise SopError(
                _("--target: {host!r} is not a host of the inventory {path}").format(
                    host=host, path=self.path
                )
            )
        return dict(self.variables[host])


def inventory_source(path: Path) -> Path:
    """Given an inventory directory or file, return the source Ansible reads.

    A directory holding ``hosts.yml`` means that file (its ``host_vars/`` and
    ``group_vars/`` are found beside it); any other path is given to Ansible
    as it is (an INI or YAML file, a script, a plugin configuration).
    """
    if path.is_dir() and (path / "hosts.yml").exists():
        return path / "hosts.yml"
    return path


def plain_data(value: Any) -> Any:
    """Given a value read by Ansible (tagged types), return plain Python data."""
    if isinstance(value, Mapping):
        return {str(k): plain_data(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain_data(v) for v in value]
    if isinstance(value, bool | int | float) or value is None:
        return value
    return str(value)


def _read_with_ansible(source: Path) -> tuple[set[str], dict[str, set[str]], dict[str, Any]]:
    # Imported here: Ansible's inventory machinery costs ~0.2 s, and only the
    # commands that resolve targets or read host variables need it.
    from ansible.errors import AnsibleError
    from ansible.inventory.manager import InventoryManager
    from ansible.parsing.dataloader import DataLoader
    from ansible.plugins.loader import inventory_loader
    from ansible.utils.display import Display
    from ansible.vars.manager import VariableManager

    from sop_runner.config import REPO_ROOT

    Display().verbosity = 0
    if source.name.endswith(("sop_register.yml", "sop_register.yaml")):
        # The register's inventory plugin (issue 18), wherever `sop` was started, with the
        # collection loader its documentation fragments need (the ansible CLIs set it up).
        from ansible.plugins.loader import init_plugin_loader
        from ansible.utils.collection_loader import AnsibleCollectionConfig

        if not AnsibleCollectionConfig.collection_finder:
            init_plugin_loader()
        inventory_loader.add_directory(str(REPO_ROOT / "plugins" / "inventory"))
    loader = DataLoader()
    try:
        manager = InventoryManager(loader=loader, sources=[str(source)])
    except AnsibleError as exc:
        raise SopError(
            _("inventory {source}: not readable by Ansible ({reason})").format(
                source=source, reason=exc.message
            )
        ) from None
    variables = VariableManager(loader=loader, inventory=manager)
    hosts = {h.name for h in manager.get_hosts()}
    groups = {
        name: {h.name for h in group.get_hosts()}
        for name, group in manager.groups.items()
        if name != "ungrouped"
    }
    host_vars = {
        h.name: plain_data(variables.get_vars(host=h, include_hostvars=False))
        for h in manager.get_hosts()
    }
    return hosts, groups, host_vars


def load_inventory(path: Path, variables: bool = True) -> Inventory:
    """Given an inventory directory or file (and services.yml beside it), return it parsed.

    Without ``variables`` only the names are read (hosts, groups, services, site; no
    host variables), without Ansible when the inventory is plain YAML
    (``inventory_names``): for the commands that show a request, not run it.
    Raise SopError naming the file if it is missing or malformed.
    """
    source = inventory_source(path)
    if not source.exists():
        raise SopError(_("inventory {source}: not found; set SOP_INVENTORY").format(source=source))
    if source.is_file() and source.suffix in (".yml", ".yaml"):
        # Ansible only warns about a broken YAML inventory and carries on without it.
        try:
            yamlio.load(source.read_text())
        except yaml.YAMLError:
            raise SopError(_("inventory {source}: not valid YAML").format(source=source)) from None
    names = None if variables else read_names(source)
    if names is None:
        hosts, groups, host_vars = _read_with_ansible(source)
    else:
        (hosts, groups), host_vars = names, {}
    services_dir = source if source.is_dir() else source.parent
    return Inventory(
        path=source,
        hosts=frozenset(hosts),
        groups={k: frozenset(v) for k, v in groups.items()},
        services=_load_services(services_dir / SERVICES_FILE, hosts),
        variables=host_vars,
        site=load_site(services_dir),
    )


def _load_services(path: Path, hosts: set[str]) -> tuple[Service, ...]:
    if not path.exists():
        return ()
    try:
        data = yamlio.load(path.read_text()) or {}
    except yaml.YAMLError:
        raise SopError(_("service catalog {path}: not valid YAML").format(path=path)) from None
    services = []
    for index, entry in enumerate(data.get("services") or []):
        where = _("service catalog {path}: {field}").format(path=path, field=f"services[{index}]")
        for name in ("name", "opd", "criticality", "hosts"):
            if name not in entry:
                raise SopError(_("{where}.{name}: required").format(where=where, name=name))
        if entry["criticality"] not in CRITICALITIES:
            raise SopError(
                _("{where}.criticality: one of {allowed}").format(
                    where=where, allowed=", ".join(CRITICALITIES)
                )
            )
        unknown = [h for h in entry["hosts"] if h not in hosts]
        if unknown:
            raise SopError(
                _("{where}.hosts: {host!r} is not a host of the inventory").format(
                    where=where, host=unknown[0]
                )
            )
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
