#!/usr/bin/python
"""Change a network device's configuration with diff, commit-confirm, health check, rollback."""

from __future__ import annotations

import os

DOCUMENTATION = r"""
---
module: netconfig
short_description: Change a network device's configuration safely (SOP 3.1)
description:
  - One interface for every network device of the data center. Reads the running
    configuration, loads a candidate (O(mode=replace) or O(mode=merge)), compares
    them, commits with a revert timer (commit-confirm), runs health checks, and only
    then confirms. When a health check fails the change is rolled back and the
    running configuration is compared with the one before.
  - Platform C(frr) (FRRouting) uses this repository's own driver over SSH to a
    login with a shell on the router, driving C(vtysh) and FRR's C(frr-reload.py).
    Commit-confirm is emulated on the device by a detached timer process that
    restores the saved configuration after O(revert_in) seconds unless confirmed,
    so a controller killed between commit and confirm still leaves the device
    rolled back.
  - Platforms C(ios), C(eos), C(junos), C(nxos) use napalm's drivers (napalm's own
    C(revert_in)).
  - Platforms C(cisco_ios) (an IOS-like CLI without napalm, such as FRR's C(vtysh))
    and C(mikrotik_routeros) use netmiko, O(mode=merge) only. A rollback restores
    the configuration read before the change (lines that appeared are negated,
    lines that went away are sent again; the result is read back and compared).
    Commit-confirm is emulated by a watchdog process on the controller that
    restores the configuration after O(revert_in) seconds unless the change was
    confirmed. It runs outside the run's process tree and outside its cgroup (a
    transient systemd unit where systemd is PID 1, else a cgroup v2 group of its
    own when run as root), so neither a kill of the run's processes nor a kill
    of its whole cgroup (a stopped unit, a cancelled AWX job, the OOM killer)
    stops it; where it cannot leave the run's cgroup the task warns. A change
    whose watchdog died (the controller rebooted) is rolled back by
    C(sop config recover), which the start of C(sop) also runs.
  - Runs on the controller (connection local or delegated to localhost); it opens
    its own SSH session.
  - Check mode compares only; in diff mode the diff is shown.
    Idempotent - a candidate equal to the running configuration changes nothing.
version_added: "0.1.0"
requirements:
  - paramiko on the controller, for platform C(frr)
  - napalm on the controller, for platforms C(ios), C(eos), C(junos), C(nxos)
  - netmiko on the controller, for platforms C(cisco_ios), C(mikrotik_routeros)
options:
  platform:
    description: The device's platform.
    type: str
    required: true
    choices: [frr, ios, eos, junos, nxos, cisco_ios, mikrotik_routeros]
  host:
    description: The device's management address.
    type: str
    required: true
  username:
    description:
      - The login (for C(frr) a login with a shell on the router; for C(cisco_ios)
        on FRR a login whose shell is C(vtysh)).
    type: str
    required: true
  key_file:
    description:
      - Private key for the SSH login.
      - For O(platform=frr) O(key_file), O(password) or an ssh-agent (E(SSH_AUTH_SOCK),
        holding the step's certificate from the sop issuer) is required.
    type: path
  password:
    description: Password for the login, where keys are not used.
    type: str
  port:
    description: SSH port.
    type: int
    default: 22
  optional_args:
    description: Extra arguments for napalm's driver or netmiko's C(ConnectHandler).
    type: dict
    default: {}
  candidate:
    description: The desired configuration (whole for O(mode=replace), a snippet for merge).
    type: str
    required: true
  mode:
    description:
      - Replace the whole configuration or merge the candidate into it.
      - The netmiko platforms (C(cisco_ios), C(mikrotik_routeros)) merge only.
    type: str
    default: replace
    choices: [replace, merge]
  revert_in:
    description:
      - Seconds after commit at which the device restores the configuration before,
        unless the change was confirmed. Must exceed O(health_wait) plus the checks.
    type: int
    default: 60
  health_wait:
    description: Seconds to wait after commit before the health checks (convergence).
    type: float
    default: 0
  health_checks:
    description:
      - What must hold after the commit. Management reachability (a new login) is
        always checked.
    type: dict
    default: {}
    suboptions:
      interfaces_up:
        description: Interfaces that must be operationally up.
        type: list
        elements: str
        default: []
      routes:
        description: Prefixes that must be selected in the routing table.
        type: list
        elements: str
        default: []
      ping:
        description: Addresses the device must reach (FRR only).
        type: list
        elements: str
        default: []
notes:
  - Supports check mode and diff mode.
  - A health-check failure fails the task with C(rolled_back=true) and C(restored)
    telling whether the running configuration equals the one before.
author:
  - sop-pusatdata developers
"""

EXAMPLES = r"""
- name: Apply the desired FRR configuration with commit-confirm
  netconfig:
    platform: frr
    host: "{{ ansible_host }}"
    username: root
    key_file: "{{ ansible_ssh_private_key_file }}"
    candidate: "{{ lookup('ansible.builtin.template', 'etc/frr/frr.conf.j2') }}"
    revert_in: 60
    health_checks:
      interfaces_up: [eth0, eth1]
      routes: [10.77.2.0/24]
  delegate_to: localhost
"""

RETURN = r"""
diff_text:
  description: Unified diff of the configuration (predicted in check mode, real after commit).
  returned: always
  type: str
diff:
  description: The same diff for Ansible's diff display (C(prepared)).
  returned: when something differs
  type: dict
commands:
  description: The device commands the change consists of ('+' add, '-' delete).
  returned: always
  type: list
  elements: str
before:
  description: The running configuration before the change (the existing state).
  returned: always
  type: str
after:
  description: The running configuration after the change (or after the rollback).
  returned: always
  type: str
steps:
  description: What was done, in order (for the configuration documentation).
  returned: always
  type: list
  elements: str
rolled_back:
  description: Whether the change was rolled back after a failed health check.
  returned: failure
  type: bool
restored:
  description: Whether the running configuration after the rollback equals the one before.
  returned: failure
  type: bool
problems:
  description: The health-check problems found.
  returned: always
  type: list
  elements: str
"""

from ansible.module_utils.basic import AnsibleModule, missing_required_lib  # noqa: E402
from ansible.module_utils.sop_netconfig import (  # type: ignore[import-not-found]  # noqa: E402
    NetconfigError,
    change,
    make_driver,
    missing_library,
)
from ansible.module_utils.sop_netmiko import (  # type: ignore[import-not-found]  # noqa: E402
    NetmikoError,
)

DRIVER_ERRORS = (NetconfigError, NetmikoError)


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "platform": {
                "type": "str",
                "required": True,
                "choices": [
                    "frr",
                    "ios",
                    "eos",
                    "junos",
                    "nxos",
                    "cisco_ios",
                    "mikrotik_routeros",
                ],
            },
            "host": {"type": "str", "required": True},
            "username": {"type": "str", "required": True},
            "key_file": {"type": "path"},
            "password": {"type": "str", "no_log": True},
            "port": {"type": "int", "default": 22},
            "optional_args": {"type": "dict", "default": {}},
            "candidate": {"type": "str", "required": True},
            "mode": {"type": "str", "default": "replace", "choices": ["replace", "merge"]},
            "revert_in": {"type": "int", "default": 60},
            "health_wait": {"type": "float", "default": 0},
            "health_checks": {
                "type": "dict",
                "default": {},
                "options": {
                    "interfaces_up": {"type": "list", "elements": "str", "default": []},
                    "routes": {"type": "list", "elements": "str", "default": []},
                    "ping": {"type": "list", "elements": "str", "default": []},
                },
            },
        },
        supports_check_mode=True,
    )
    params = module.params
    # FRR's own driver logs in over SSH with a key, a password or the run's ssh-agent (the
    # certificate the gate loaded), never with none of them.
    agent = bool(os.environ.get("SSH_AUTH_SOCK"))
    if params["platform"] == "frr" and not (params["key_file"] or params["password"] or agent):
        module.fail_json(
            msg="platform is frr but none of key_file, password or an ssh-agent "
            "(SSH_AUTH_SOCK) is there to log in with"
        )
    if params["revert_in"] <= params["health_wait"]:
        module.fail_json(msg="revert_in must be longer than health_wait")
    missing = missing_library(params["platform"])
    if missing is not None:
        library, trace = missing
        module.fail_json(msg=missing_required_lib(library), exception=trace)
    try:
        driver = make_driver(params)
        driver.open()
    except DRIVER_ERRORS as error:
        module.fail_json(msg=str(error))
    try:
        result = change(
            driver,
            params["candidate"],
            params["mode"] == "replace",
            params["revert_in"],
            params["health_checks"] or {},
            params["health_wait"],
            module.check_mode,
        )
    except DRIVER_ERRORS as error:
        partial = dict(getattr(error, "result", {}))
        partial["diff_text"] = partial.pop("diff", "")
        for warning in partial.pop("warnings", []):
            module.warn(warning)
        module.fail_json(msg=str(error), **partial)
    finally:
        driver.close()
    for warning in result.pop("warnings", []):
        module.warn(warning)
    text = result.pop("diff")
    module.exit_json(diff={"prepared": text} if text else {}, diff_text=text, **result)


if __name__ == "__main__":
    main()
