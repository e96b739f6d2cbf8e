"""The host and group names of a plain YAML inventory, read without Ansible.

`sop status` and `sop requests` need only which hosts and groups exist (to compare
a request's impact with the one it fixed), not host variables; Ansible's inventory
manager costs them more than the rest of their start.  A YAML inventory that uses
only ``hosts``, ``children`` and ``vars`` is read here with Ansible's rules: every
group holds its children's hosts, ``all`` holds every host.  Anything else (host
ranges such as ``web[01:09]``, a plugin configuration, an INI file, a script, a
folder) is left to Ansible: ``read_names`` returns None, never a different answer.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from sop_runner import yamlio

GROUP_KEYS = frozenset({"hosts", "children", "vars"})
# A host pattern Ansible expands ([01:09], [a:f]): not read here.
_RANGE = re.compile(r"\[[^\]]*:[^\]]*\]")


class _NotPlain(Exception):
    """The inventory uses something only Ansible reads."""


def read_names(source: Path) -> tuple[set[str], dict[str, set[str]]] | None:
    """Given an inventory source, return its hosts and each group's hosts (``all``
    included, ``ungrouped`` left out, as Ansible's inventory manager gives them), or
    None when only Ansible can read it."""
    if not (source.is_file() and source.suffix in (".yml", ".yaml")):
        return None
    try:
        data = yamlio.load(source.read_text())
    except (OSError, yaml.YAMLError):
        return None
    if not isinstance(data, dict) or not data:
        return None
    direct: dict[str, set[str]] = {}
    children: dict[str, set[str]] = {}
    try:
        for name, group in data.items():
            _group(str(name), group, direct, children)
        groups = {name: _hosts_of(name, direct, children, set()) for name in direct}
    except _NotPlain:
        return None
    groups.pop("ungrouped", None)
    hosts = set().union(*groups.values()) if groups else set()
    groups["all"] = set(hosts)
    return hosts, groups


def _group(
    name: str, group: Any, direct: dict[str, set[str]], children: dict[str, set[str]]
) -> None:
    direct.setdefault(name, set())
    children.setdefault(name, set())
    if group is None:
        return
    if not isinstance(group, dict) or set(group) - GROUP_KEYS:
        raise _NotPlain
    hosts = group.get("hosts") or {}
    if not isinstance(hosts, dict):
        raise _NotPlain
    for host in hosts:
        if not isinstance(host, str) or _RANGE.search(host):
            raise _NotPlain
        direct[name].add(host)
    kids = group.get("children") or {}
    if not isinstance(kids, dict):
        raise _NotPlain
    for child, child_group in kids.items():
        children[name].add(str(child))
        _group(str(child), child_group, direct, children)


def _hosts_of(
    name: str, direct: dict[str, set[str]], children: dict[str, set[str]], seen: set[str]
) -> set[str]:
    if name in seen:  # a cycle of groups: Ansible refuses it, so let it say so
        raise _NotPlain
    found = set(direct[name])
    for child in children[name]:
        found |= _hosts_of(child, direct, children, seen | {name})
    return found
