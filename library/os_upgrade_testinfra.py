#!/usr/bin/python
"""Function and performance test of a host's applications with pytest-testinfra (SOP 4.2, 4.1)."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: os_upgrade_testinfra
short_description: Test a host's applications with testinfra and measure their response time
description:
  - SOP 4.2 step 9 (and 4.1 step 6). Runs on the controller (C(delegate_to localhost),
    with an interpreter that has pytest-testinfra) and reaches O(host) over SSH with
    the connection settings of the Ansible inventory (testinfra's ansible backend).
  - Per application - processes running, TCP ports listening, package versions as
    required (C(NAME OP VERSION)), HTTP checks (status 200 and an expected text)
    made from the controller, whose response time is measured O(samples) times.
  - Changes nothing; returns every check with ok and detail, and the figures.
    The play decides what a failure means.
version_added: "0.1.0"
options:
  host:
    description: The inventory name of the host to test.
    type: str
    required: true
  inventory:
    description: The Ansible inventory file that defines O(host).
    type: path
    required: true
  applications:
    description:
      - The applications, each C({name, checks}); C(checks) may hold C(processes)
        (substrings of a command line), C(ports) (TCP), C(packages) (requirement
        lines) and C(http) (list of C({url, expect})).
    type: list
    elements: dict
    default: []
  extra_checks:
    description:
      - Checks added by the request, one line each - C(port N), C(process TEXT),
        C(package NAME OP VERSION), C(http URL [TEXT]).
    type: list
    elements: str
    default: []
  samples:
    description: How many times each HTTP check is timed.
    type: int
    default: 10
  timeout:
    description: Seconds an HTTP request may take.
    type: float
    default: 5
notes:
  - Supports check mode (it only reads).
requirements:
  - pytest-testinfra on the controller
author:
  - sop-pusatdata developers
"""

EXAMPLES = r"""
- name: Test the applications after the upgrade
  os_upgrade_testinfra:
    host: "{{ inventory_hostname }}"
    inventory: "{{ inventory_file }}"
    applications: "{{ upgrade_applications }}"
  delegate_to: localhost
  vars:
    ansible_python_interpreter: "{{ ansible_playbook_python }}"
  register: tests
"""

RETURN = r"""
ok:
  description: Whether every check passed.
  returned: always
  type: bool
checks:
  description: Every check (application, check, ok, detail).
  returned: always
  type: list
  elements: dict
figures:
  description: Per HTTP check, response time in ms (median, min, max) over O(samples).
  returned: always
  type: dict
  sample:
    "arsip-dokumen http://10.77.1.12:8081/":
      {"median_ms": 1.9, "min_ms": 1.5, "max_ms": 3.0, "samples": 10}
"""

import statistics  # noqa: E402
import time  # noqa: E402
import traceback  # noqa: E402
import urllib.request  # noqa: E402
from typing import Any  # noqa: E402

from ansible.module_utils.basic import AnsibleModule, missing_required_lib  # noqa: E402
from ansible.module_utils.sop_os_upgrade import parse_requirement, satisfies  # noqa: E402

try:
    import testinfra  # type: ignore[import-untyped]
except ImportError:
    TESTINFRA_IMPORT_ERROR: str | None = traceback.format_exc()
else:
    TESTINFRA_IMPORT_ERROR = None


def parse_extra(line: str) -> tuple[str, dict[str, Any]]:
    """Given one extra check line, return (kind, checks dict); raise ValueError if unknown."""
    kind, _, rest = line.strip().partition(" ")
    rest = rest.strip()
    if kind == "port" and rest.isdigit():
        return kind, {"ports": [int(rest)]}
    if kind == "process" and rest:
        return kind, {"processes": [rest]}
    if kind == "package" and rest:
        return kind, {"packages": [rest]}
    if kind == "http" and rest:
        url, _, expect = rest.partition(" ")
        return kind, {"http": [{"url": url, "expect": expect}]}
    raise ValueError(
        f"extra check {line!r}: use 'port N', 'process TEXT', 'package NAME OP VERSION' "
        "or 'http URL [TEXT]'"
    )


def _http(url: str, expect: str, timeout: float) -> tuple[bool, str, float]:
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            body = response.read().decode("utf-8", "replace")
            status = response.status
    except OSError as error:
        return False, f"{url}: {error}", (time.perf_counter() - started) * 1000
    elapsed = (time.perf_counter() - started) * 1000
    ok = status == 200 and (not expect or expect in body)
    detail = f"{url}: HTTP {status}" + (
        f", {'contains' if expect in body else 'lacks'} {expect!r}" if expect else ""
    )
    return ok, detail, elapsed


def run_checks(
    host: Any, name: str, checks: dict[str, Any], samples: int, timeout: float
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Given a testinfra host and one application's checks, return (results, figures)."""
    results: list[dict[str, Any]] = []
    figures: dict[str, Any] = {}
    if checks.get("processes"):
        lines = host.run("ps -eo args").stdout.splitlines()
        for pattern in checks["processes"]:
            found = [line for line in lines if pattern in line]
            results.append(
                {
                    "application": name,
                    "check": f"process {pattern}",
                    "ok": bool(found),
                    "detail": found[0] if found else "no such process",
                }
            )
    for port in checks.get("ports", []) or []:
        listening = (
            host.socket(f"tcp://0.0.0.0:{int(port)}").is_listening
            or host.socket(f"tcp://:::{int(port)}").is_listening
        )
        results.append(
            {
                "application": name,
                "check": f"port {port}",
                "ok": listening,
                "detail": "listening" if listening else "not listening",
            }
        )
    for line in checks.get("packages", []) or []:
        req = parse_requirement(line)
        package = host.package(req["subject"])
        version = package.version if package.is_installed else ""
        ok = bool(version) and (not req["op"] or satisfies(version, req["op"], req["value"]))
        results.append(
            {
                "application": name,
                "check": f"package {line}",
                "ok": ok,
                "detail": version or "not installed",
            }
        )
    for item in checks.get("http", []) or []:
        url, expect = str(item["url"]), str(item.get("expect", "") or "")
        ok, detail, _ = _http(url, expect, timeout)
        times = [_http(url, expect, timeout)[2] for _ in range(max(samples, 1))] if ok else []
        results.append({"application": name, "check": f"http {url}", "ok": ok, "detail": detail})
        if times:
            figures[f"{name} {url}"] = {
                "median_ms": round(statistics.median(times), 2),
                "min_ms": round(min(times), 2),
                "max_ms": round(max(times), 2),
                "samples": len(times),
            }
    return results, figures


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "host": {"type": "str", "required": True},
            "inventory": {"type": "path", "required": True},
            "applications": {"type": "list", "elements": "dict", "default": []},
            "extra_checks": {"type": "list", "elements": "str", "default": []},
            "samples": {"type": "int", "default": 10},
            "timeout": {"type": "float", "default": 5},
        },
        supports_check_mode=True,
    )
    if TESTINFRA_IMPORT_ERROR is not None:
        module.fail_json(
            msg=missing_required_lib(
                "pytest-testinfra",
                reason="on the controller: run the task there (delegate_to: localhost) with "
                "ansible_python_interpreter set to the sop environment's python",
            ),
            exception=TESTINFRA_IMPORT_ERROR,
        )
    params = module.params
    try:
        extras = [parse_extra(line)[1] for line in params["extra_checks"]]
    except ValueError as error:
        module.fail_json(msg=str(error))
    host = testinfra.get_host(f"ansible://{params['host']}", ansible_inventory=params["inventory"])
    results: list[dict[str, Any]] = []
    figures: dict[str, Any] = {}
    suites = [(str(a.get("name", "")), a.get("checks", {}) or {}) for a in params["applications"]]
    suites += [("request", extra) for extra in extras]
    try:
        for name, checks in suites:
            found, measured = run_checks(host, name, checks, params["samples"], params["timeout"])
            results += found
            figures.update(measured)
    except Exception as error:
        results.append(
            {
                "application": "-",
                "check": "reach host",
                "ok": False,
                "detail": f"{type(error).__name__}: {error}",
            }
        )
    module.exit_json(
        changed=False,
        ok=all(r["ok"] for r in results) and bool(results),
        checks=results,
        figures=figures,
    )


if __name__ == "__main__":
    main()
