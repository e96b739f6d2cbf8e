#!/usr/bin/python
"""Gather what the OS upgrade compatibility analysis needs from a Debian host (SOP 4.2)."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: os_upgrade_facts
short_description: Gather a Debian host's release, packages, services and pending upgrade
description:
  - SOP 4.2 step 2 (compatibility analysis) holds the applications' needs against
    real facts. This module reads them and changes nothing.
  - The release (C(/etc/os-release), C(/etc/debian_version)), the running kernel,
    every installed package and its version (C(dpkg-query)), held packages
    (C(apt-mark showhold)), the pending upgrade as C(apt-get -s dist-upgrade)
    simulates it, the candidate versions of O(packages) (C(apt-cache policy)),
    the releases the apt sources offer, free disk space of O(paths), loaded kernel
    modules, running processes and listening TCP ports.
version_added: "0.1.0"
options:
  packages:
    description:
      - Packages whose installed and candidate versions are read with C(apt-cache policy).
    type: list
    elements: str
    default: []
  paths:
    description: Paths whose file system's free space (MiB) is measured.
    type: list
    elements: path
    default: [/]
  mode:
    description: The upgrade to simulate.
    type: str
    choices: [dist-upgrade, upgrade]
    default: dist-upgrade
notes:
  - Supports check mode (it only reads). Needs no apt lock (the simulation runs
    with C(Debug::NoLocking)).
author:
  - sop-pusatdata developers
"""

EXAMPLES = r"""
- name: Read the facts of the compatibility analysis
  os_upgrade_facts:
    packages: [python3.11, openssh-server]
    paths: [/, /var]

- name: Show the pending upgrade it found
  ansible.builtin.debug:
    var: ansible_facts.sop_os_upgrade.simulation
"""

RETURN = r"""
ansible_facts:
  description: Facts added to the host's C(ansible_facts) (no other key is returned).
  returned: always
  type: dict
  contains:
    sop_os_upgrade:
      description: What was found on the host.
      type: dict
      contains:
        release: {description: Contents of /etc/debian_version., type: str, sample: "12.15"}
        codename: {description: VERSION_CODENAME of /etc/os-release., type: str, sample: bookworm}
        os_release: {description: /etc/os-release as a dict., type: dict}
        kernel: {description: The running kernel (uname -r)., type: str}
        packages: {description: Installed packages and their versions., type: dict}
        held: {description: Held packages., type: list, elements: str}
        simulation:
          description: "upgrades {name: {from, to, origin, arch}}, installs, removals."
          type: dict
        simulation_rc: {description: Exit code of the simulation., type: int}
        simulation_error: {description: Its standard error when it failed., type: str}
        candidates: {description: "{package: {installed, candidate}} for O(packages).", type: dict}
        apt_releases:
          description: Releases the apt sources offer (codename, version, suite, origin).
          type: list
          elements: dict
        disk_free_mb: {description: "{path: free MiB} for O(paths).", type: dict}
        kernel_modules: {description: Loaded kernel modules., type: list, elements: str}
        processes: {description: Command lines of the running processes., type: list, elements: str}
        listening_ports:
          description: Listening TCP ports (IPv4 and IPv6).
          type: list
          elements: int
"""

import os  # noqa: E402
from typing import Any  # noqa: E402

from ansible.module_utils.basic import AnsibleModule  # noqa: E402
from ansible.module_utils.sop_host_facts import (  # noqa: E402
    listening_ports,
    os_release,
    read_text,
)
from ansible.module_utils.sop_os_upgrade import (  # noqa: E402
    parse_policy_candidates,
    parse_policy_releases,
    parse_simulation,
)

APT_ENV = {"LC_ALL": "C", "DEBIAN_FRONTEND": "noninteractive"}


def processes() -> list[str]:
    """Return the command lines of the running processes."""
    found = []
    for pid in sorted(p for p in os.listdir("/proc") if p.isdigit()):
        cmdline = read_text(f"/proc/{pid}/cmdline").replace("\0", " ").strip()
        if cmdline:
            found.append(cmdline)
    return found


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "packages": {"type": "list", "elements": "str", "default": []},
            "paths": {"type": "list", "elements": "path", "default": ["/"]},
            "mode": {
                "type": "str",
                "choices": ["dist-upgrade", "upgrade"],
                "default": "dist-upgrade",
            },
        },
        supports_check_mode=True,
    )
    facts: dict[str, Any] = {}
    release = os_release(read_text("/etc/os-release"))
    facts["os_release"] = release
    facts["codename"] = release.get("VERSION_CODENAME", "")
    facts["release"] = read_text("/etc/debian_version").strip() or release.get("VERSION_ID", "")
    facts["kernel"] = os.uname().release
    rc, out, err = module.run_command(
        ["dpkg-query", "-W", "-f", "${Package}\t${Version}\t${db:Status-Abbrev}\n"],
        environ_update=APT_ENV,
    )
    if rc != 0:
        module.fail_json(msg=f"dpkg-query failed: {err.strip()}")
    facts["packages"] = {
        name: version
        for name, version, status in (line.split("\t") for line in out.splitlines() if line)
        if status.startswith("ii")
    }
    rc, out, _ = module.run_command(["apt-mark", "showhold"], environ_update=APT_ENV)
    facts["held"] = sorted(out.split()) if rc == 0 else []
    rc, out, err = module.run_command(
        ["apt-get", "-s", "-o", "Debug::NoLocking=1", module.params["mode"]],
        environ_update=APT_ENV,
    )
    facts["simulation"] = parse_simulation(out)
    facts["simulation_rc"] = rc
    facts["simulation_error"] = err if rc else ""
    candidates: dict[str, dict[str, str]] = {}
    if module.params["packages"]:
        rc, out, _ = module.run_command(
            ["apt-cache", "policy", *module.params["packages"]], environ_update=APT_ENV
        )
        candidates = parse_policy_candidates(out)
    facts["candidates"] = candidates
    rc, out, _ = module.run_command(["apt-cache", "policy"], environ_update=APT_ENV)
    facts["apt_releases"] = parse_policy_releases(out)
    free = {}
    for path in module.params["paths"]:
        try:
            stat = os.statvfs(path)
        except OSError:
            continue
        free[path] = stat.f_bavail * stat.f_frsize // (1024 * 1024)
    facts["disk_free_mb"] = free
    facts["kernel_modules"] = sorted(
        line.split()[0] for line in read_text("/proc/modules").splitlines() if line
    )
    facts["processes"] = processes()
    facts["listening_ports"] = listening_ports(
        [read_text("/proc/net/tcp"), read_text("/proc/net/tcp6")]
    )
    module.exit_json(changed=False, ansible_facts={"sop_os_upgrade": facts})


if __name__ == "__main__":
    main()
