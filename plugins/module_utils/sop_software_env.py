"""SOP 1.3 steps 2–3: a host's environment held against what a software needs.

The reading (``gather``) runs on the host; the judgement (``evaluate``) is pure, so
that `sop` and the unit tests use the very rules the play uses.  A requirement spec
(``requires`` of a software spec, docs/software.md) may name:

- ``os``: ``{id: debian, min_version: "12"}`` (os-release ID and VERSION_ID);
- ``cpu_cores``, ``ram_mb``: the least the host must have;
- ``disk_free_mb``: ``{path: MiB}`` free on the file system of each path;
- ``packages``: Debian packages that must be installed;
- ``ports_free``: TCP ports nothing may listen on yet (the software will).
"""

from __future__ import annotations

import os
import subprocess
from typing import Any

from ansible.module_utils.sop_host_facts import (
    listening_ports,
    os_release,
    read_text,
)

KEYS = ("os", "cpu_cores", "ram_mb", "disk_free_mb", "packages", "ports_free")


def ram_mb(meminfo: str) -> int:
    """Given /proc/meminfo, return the total memory in MiB (0 when it cannot be read)."""
    for line in meminfo.splitlines():
        key, _, rest = line.partition(":")
        if key == "MemTotal":
            return int(rest.split()[0]) // 1024
    return 0


def installed_packages() -> dict[str, str]:
    """Return the installed Debian packages and their versions (dpkg-query)."""
    out = subprocess.run(
        ["dpkg-query", "-W", "-f", "${Package}\t${Version}\t${db:Status-Abbrev}\n"],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "LC_ALL": "C"},
    ).stdout
    packages = {}
    for line in out.splitlines():
        name, _, rest = line.partition("\t")
        version, _, status = rest.partition("\t")
        if status.startswith("ii"):
            packages[name.split(":")[0]] = version
    return packages


def gather(paths: list[str]) -> dict[str, Any]:
    """Given the paths whose free space counts, return this host's environment facts."""
    release = os_release(read_text("/etc/os-release"))
    free = {}
    for path in paths:
        try:
            stat = os.statvfs(path)
        except OSError:
            continue
        free[path] = stat.f_bavail * stat.f_frsize // (1024 * 1024)
    return {
        "os_id": release.get("ID", ""),
        "os_version": release.get("VERSION_ID", ""),
        "os_name": release.get("PRETTY_NAME", ""),
        "cpu_cores": os.cpu_count() or 0,
        "ram_mb": ram_mb(read_text("/proc/meminfo")),
        "disk_free_mb": free,
        "packages": installed_packages(),
        "listening_ports": listening_ports(
            [read_text("/proc/net/tcp"), read_text("/proc/net/tcp6")]
        ),
    }


def _version_tuple(text: str) -> tuple[int, ...]:
    parts = []
    for piece in str(text).split("."):
        digits = "".join(ch for ch in piece if ch.isdigit())
        parts.append(int(digits) if digits else 0)
    return tuple(parts)


def _result(check: str, needed: Any, found: Any, ok: bool) -> dict[str, Any]:
    return {"check": check, "needed": needed, "found": found, "ok": ok}


def evaluate(requires: dict[str, Any], facts: dict[str, Any]) -> list[dict[str, Any]]:
    """Given a requirement spec and a host's facts, return one result per requirement:
    {check, needed, found, ok}, in the order of KEYS.

    Raise ValueError naming a key the spec may not have.
    """
    unknown = sorted(set(requires) - set(KEYS))
    if unknown:
        raise ValueError(f"requires: {unknown[0]!r} is not allowed; allowed: {', '.join(KEYS)}")
    results = []
    wanted_os = requires.get("os")
    if wanted_os:
        found = f"{facts['os_id']} {facts['os_version']}".strip()
        ok = facts["os_id"] == wanted_os.get("id", facts["os_id"])
        if "min_version" in wanted_os:
            ok = ok and _version_tuple(facts["os_version"]) >= _version_tuple(
                wanted_os["min_version"]
            )
        needed = f"{wanted_os.get('id', '')} >= {wanted_os.get('min_version', '')}".strip()
        results.append(_result("os", needed, found, ok))
    for key in ("cpu_cores", "ram_mb"):
        if key in requires:
            needed = int(requires[key])
            results.append(_result(key, needed, facts[key], facts[key] >= needed))
    for path, needed in sorted((requires.get("disk_free_mb") or {}).items()):
        found = facts["disk_free_mb"].get(path)
        results.append(
            _result(
                f"disk_free_mb:{path}", int(needed), found, found is not None and found >= needed
            )
        )
    for package in requires.get("packages") or []:
        found = facts["packages"].get(package)
        results.append(_result(f"package:{package}", "installed", found, found is not None))
    for port in requires.get("ports_free") or []:
        busy = int(port) in facts["listening_ports"]
        results.append(_result(f"port_free:{port}", "free", "in use" if busy else "free", not busy))
    return results


def reasons(results: list[dict[str, Any]]) -> list[str]:
    """Given the results of ``evaluate``, return one line per unmet requirement."""
    return [
        f"{r['check']}: needs {r['needed']}, found {r['found']}" for r in results if not r["ok"]
    ]
