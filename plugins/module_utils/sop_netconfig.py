"""One interface to change a network device's configuration safely (SOP 3.1).

Every platform goes through the same steps: read the running configuration,
load a candidate (merge or replace), compare, commit with a revert timer
(commit-confirm), run health checks, then confirm -- or roll back.

Drivers:
- ``frr``: FRRouting (this repository's own driver, proven against the lab's
  rtr1).  It logs in over SSH to a login with a shell on the router and drives
  ``vtysh`` and FRR's ``frr-reload.py`` (diff and replace of the whole
  configuration).  Commit-confirm is emulated ON THE DEVICE: before the
  change, a detached timer process (``setsid``) is started there that
  restores the saved configuration after ``revert_in`` seconds unless a
  confirm removes its marker; so a controller that dies mid-change still
  leaves the router rolled back.
- ``ios``, ``eos``, ``junos``, ``nxos``: napalm's drivers (napalm must be
  installed; not exercised in this repository's lab).
- ``cisco_ios`` (an IOS-like CLI without napalm, e.g. FRR's vtysh) and
  ``mikrotik_routeros``: netmiko (``sop_netmiko``), merge only, rollback to the
  configuration read before, commit-confirm emulated by a controller-side
  watchdog process outside the run's process tree and cgroup (``sop_netwatch``).
"""

from __future__ import annotations

import difflib
import importlib
import json
import secrets
import shlex
import time
import traceback
from typing import Any

STATE_DIR = "/var/lib/sop-netconfig"
FRR_RELOAD = "/usr/lib/frr/frr-reload.py"
NAPALM_PLATFORMS = ("ios", "eos", "junos", "nxos")
NETMIKO_PLATFORMS = ("cisco_ios", "mikrotik_routeros")  # sop_netmiko.DIALECTS
# The Python library each platform's driver needs on the controller.
LIBRARIES = {
    "frr": "paramiko",
    **dict.fromkeys(NAPALM_PLATFORMS, "napalm"),
    **dict.fromkeys(NETMIKO_PLATFORMS, "netmiko"),
}


class NetconfigError(Exception):
    """A step of the change could not be carried out (message says which)."""


def missing_library(platform: str) -> tuple[str, str] | None:
    """Given a platform, return (library, traceback) when its driver's library does not
    import, None when it does (or the platform needs none)."""
    library = LIBRARIES.get(platform)
    if library is None:
        return None
    try:
        importlib.import_module(library)
    except ImportError:
        return library, traceback.format_exc()
    return None


def unified_diff(before: str, after: str, name: str, new: str = "candidate") -> str:
    """Given two configuration texts, return their unified diff ('' when equal)."""
    return "".join(
        difflib.unified_diff(
            before.splitlines(True),
            after.splitlines(True),
            fromfile=f"{name} (before)",
            tofile=f"{name} ({new})",
        )
    )


def frr_strip(text: str) -> str:
    """Given `show running-config` output, return the configuration from 'frr version' on."""
    lines = text.splitlines()
    for index, line in enumerate(lines):
        if line.startswith("frr version"):
            lines = lines[index:]
            break
    return "\n".join(line.rstrip() for line in lines).strip() + "\n"


def parse_frr_reload(text: str) -> list[str]:
    """Given `frr-reload.py --test --stdout` output, return the commands it would run.

    Deletions come as '-' lines, additions as '+' lines, each prefixed by its
    configuration context when it has one.
    """
    commands: list[str] = []
    sign = ""
    for raw in text.splitlines():
        line = raw.rstrip()
        if line.startswith("Lines To Delete"):
            sign = "-"
        elif line.startswith("Lines To Add"):
            sign = "+"
        elif not line or set(line) == {"="} or not sign:
            continue
        else:
            commands.append(f"{sign} {line}")
    return commands


def route_problems(routes: dict[str, Any], wanted: list[str]) -> list[str]:
    """Given `show ip route json` and wanted prefixes, return the prefixes missing or unselected."""
    problems = []
    for prefix in wanted:
        entries = routes.get(prefix) or []
        if not any(e.get("selected") and e.get("installed", True) for e in entries):
            problems.append(f"route {prefix} is not in the routing table")
    return problems


def interface_problems(interfaces: dict[str, Any], wanted: list[str]) -> list[str]:
    """Given `show interface json` and interface names, return those not operationally up."""
    problems = []
    for name in wanted:
        info = interfaces.get(name)
        if info is None:
            problems.append(f"interface {name} does not exist")
        elif info.get("operationalStatus") != "up":
            problems.append(f"interface {name} is {info.get('operationalStatus')}")
    return problems


class FrrDriver:
    """FRRouting over SSH (paramiko): vtysh for reading, frr-reload.py for replace."""

    platform = "frr"
    supports_revert_in = True  # emulated by a timer process on the device

    def __init__(
        self,
        host: str,
        username: str,
        key_file: str | None,
        port: int = 22,
        password: str | None = None,
        timeout: float = 15.0,
    ) -> None:
        self.host, self.username, self.key_file = host, username, key_file
        self.port, self.password, self.timeout = port, password, timeout
        self.client: Any = None
        self.candidate = ""
        self.replace = True
        self.token = ""

    # -- transport ---------------------------------------------------------
    def _connect(self) -> Any:
        import paramiko

        client = paramiko.SSHClient()
        client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
        client.connect(
            self.host,
            port=self.port,
            username=self.username,
            key_filename=self.key_file,
            password=self.password,
            timeout=self.timeout,
            banner_timeout=self.timeout,
            auth_timeout=self.timeout,
            look_for_keys=False,
            # Neither key nor password: the run's ssh-agent holds the step's certificate.
            allow_agent=self.key_file is None and self.password is None,
        )
        return client

    def open(self) -> None:
        """Open the SSH session to the device."""
        try:
            self.client = self._connect()
        except Exception as exc:  # paramiko raises many kinds
            raise NetconfigError(f"cannot reach {self.host} over SSH: {exc}") from exc

    def close(self) -> None:
        """Close the SSH session."""
        if self.client is not None:
            self.client.close()
            self.client = None

    def run(
        self, command: str, data: str | None = None, check: bool = True, client: Any = None
    ) -> tuple[int, str, str]:
        """Given a shell command (and stdin data), return (rc, stdout, stderr) on the device."""
        stdin, stdout, stderr = (client or self.client).exec_command(command, timeout=60)
        if data is not None:
            stdin.write(data)
        stdin.channel.shutdown_write()
        out = stdout.read().decode("utf-8", "replace")
        err = stderr.read().decode("utf-8", "replace")
        rc = stdout.channel.recv_exit_status()
        if check and rc != 0:
            raise NetconfigError(
                f"{command.split()[0]} failed (rc {rc}): {(err or out).strip()[:400]}"
            )
        return rc, out, err

    def vtysh(self, *commands: str) -> str:
        """Given vtysh commands, return their output."""
        args = " ".join(f"-c {shlex.quote(c)}" for c in commands)
        return self.run(f"vtysh {args}")[1]

    # -- the interface -----------------------------------------------------
    def get_config(self) -> str:
        """Return the running configuration (without vtysh's header)."""
        return frr_strip(self.vtysh("show running-config"))

    def pending(self) -> str:
        """Return the token of an unconfirmed change on the device ('' when none)."""
        return self.run(f"cat {STATE_DIR}/pending 2>/dev/null || true")[1].strip()

    def load_candidate(self, text: str, replace: bool) -> None:
        """Given a candidate configuration, upload and syntax-check it (nothing applied)."""
        self.candidate, self.replace = text if text.endswith("\n") else text + "\n", replace
        self.run(
            f"mkdir -p {STATE_DIR} && chmod 700 {STATE_DIR} && cat > {STATE_DIR}/candidate.conf",
            data=self.candidate,
        )
        rc, out, err = self.run(f"vtysh -C -f {STATE_DIR}/candidate.conf", check=False)
        if rc != 0:
            raise NetconfigError(f"candidate rejected by vtysh: {(out + err).strip()[:400]}")

    def compare(self, running: str) -> tuple[bool, str, list[str]]:
        """Given the running config, return (changes?, diff text, device commands)."""
        if self.replace:
            rc, out, err = self.run(
                f"{FRR_RELOAD} --test --stdout {STATE_DIR}/candidate.conf", check=False
            )
            if rc != 0 or "ERROR" in err:
                raise NetconfigError(f"frr-reload.py --test failed: {(err or out).strip()[-400:]}")
            commands = parse_frr_reload(out)
            diff = unified_diff(running, frr_strip(self.candidate), "frr.conf") if commands else ""
            return bool(commands), diff, commands
        present = {line.strip() for line in running.splitlines()}
        commands = [
            f"+ {line.rstrip()}"
            for line in self.candidate.splitlines()
            if line.strip() and line.strip() not in present and not line.startswith("!")
        ]
        return bool(commands), "\n".join(commands) + ("\n" if commands else ""), commands

    def commit(self, running: str, revert_in: int) -> None:
        """Given the config before, save it, arm the on-device revert timer, then apply."""
        if self.pending():
            raise NetconfigError(
                f"an earlier change on {self.host} still waits for confirmation "
                f"({STATE_DIR}/pending); let its timer roll it back first"
            )
        self.token = secrets.token_hex(8)
        saved = f"{STATE_DIR}/rollback-{self.token}.conf"
        self.run(f"cat > {saved}", data=running)
        pidfile = f"{STATE_DIR}/timer-{self.token}.pid"
        timer = (
            f"echo $$ > {pidfile}; sleep {int(revert_in)}; "
            f'if [ "$(cat {STATE_DIR}/pending 2>/dev/null)" = {self.token} ]; then '
            f"{FRR_RELOAD} --reload {saved} >> {STATE_DIR}/timer.log 2>&1; "
            f"rm -f {STATE_DIR}/pending; "
            f'echo "$(date -Is) {self.token} rolled back by timer" >> {STATE_DIR}/history; fi; '
            f"rm -f {pidfile}"
        )
        # setsid -f: the timer leaves this SSH session (no SIGHUP, no open channel),
        # so it outlives the controller and this connection.
        self.run(
            f"echo {self.token} > {STATE_DIR}/pending && "
            f"setsid -f sh -c {shlex.quote(timer)} </dev/null >/dev/null 2>&1"
        )
        for _ in range(50):
            if self.run(f"test -s {pidfile}", check=False)[0] == 0:
                break
            time.sleep(0.05)
        else:
            raise NetconfigError("the on-device revert timer did not start; nothing was applied")
        if self.replace:
            self.run(
                f"{FRR_RELOAD} --reload {STATE_DIR}/candidate.conf >/dev/null 2>&1 || "
                f"{FRR_RELOAD} --reload {STATE_DIR}/candidate.conf"
            )
        else:
            self.run(f"vtysh -f {STATE_DIR}/candidate.conf")

    def _kill_timer(self) -> str:
        pidfile = f"{STATE_DIR}/timer-{self.token}.pid"
        # the timer is a session leader (setsid): its group is the timer and its sleep
        return f"kill -- -$(cat {pidfile}) 2>/dev/null; rm -f {pidfile}"

    def confirm(self) -> None:
        """Disarm the revert timer and save the running config as the startup config."""
        self.run(
            f'if [ "$(cat {STATE_DIR}/pending 2>/dev/null)" = {self.token} ]; then '
            f"rm -f {STATE_DIR}/pending; {self._kill_timer()}; fi; "
            f'echo "$(date -Is) {self.token} confirmed" >> {STATE_DIR}/history'
        )
        self.vtysh("write memory")

    def rollback(self) -> None:
        """Restore the configuration saved by commit and disarm the timer."""
        saved = f"{STATE_DIR}/rollback-{self.token}.conf"
        self.run(f"{FRR_RELOAD} --reload {saved} >/dev/null 2>&1 || {FRR_RELOAD} --reload {saved}")
        self.run(
            f'if [ "$(cat {STATE_DIR}/pending 2>/dev/null)" = {self.token} ]; then '
            f"rm -f {STATE_DIR}/pending; {self._kill_timer()}; fi; "
            f'echo "$(date -Is) {self.token} rolled back" >> {STATE_DIR}/history'
        )

    def health(self, checks: dict[str, Any]) -> list[str]:
        """Given health checks, return the problems found (empty when healthy)."""
        problems: list[str] = []
        try:  # management reachability: a new SSH session must still work
            fresh = self._connect()
            try:
                self.run("vtysh -c 'show version'", client=fresh)
            finally:
                fresh.close()
        except Exception as exc:
            return [f"management: cannot log in again to {self.host}: {exc}"]
        if checks.get("interfaces_up"):
            interfaces = json.loads(self.vtysh("show interface json") or "{}")
            problems += interface_problems(interfaces, list(checks["interfaces_up"]))
        if checks.get("routes"):
            routes = json.loads(self.vtysh("show ip route json") or "{}")
            problems += route_problems(routes, list(checks["routes"]))
        for address in checks.get("ping", []) or []:
            rc, _, _ = self.run(f"ping -c 1 -W 2 {shlex.quote(str(address))}", check=False)
            if rc != 0:
                problems.append(f"ping {address} from the device failed")
        return problems


class NapalmDriver:
    """napalm's driver for ios, eos, junos, nxos (not exercised in this lab)."""

    supports_revert_in = True

    def __init__(
        self,
        platform: str,
        host: str,
        username: str,
        password: str | None,
        optional_args: dict[str, Any] | None = None,
    ) -> None:
        try:
            from napalm import get_network_driver  # type: ignore[import-not-found]
        except ImportError as exc:
            raise NetconfigError(f"platform {platform} needs napalm installed ({exc})") from exc
        self.platform = platform
        self.device = get_network_driver(platform)(
            host, username, password or "", optional_args=optional_args or {}
        )
        self.replace = True

    def open(self) -> None:
        self.device.open()

    def close(self) -> None:
        self.device.close()

    def get_config(self) -> str:
        return str(self.device.get_config(retrieve="running")["running"])

    def pending(self) -> str:
        return "pending" if self.device.has_pending_commit() else ""

    def load_candidate(self, text: str, replace: bool) -> None:
        self.replace = replace
        if replace:
            self.device.load_replace_candidate(config=text)
        else:
            self.device.load_merge_candidate(config=text)

    def compare(self, running: str) -> tuple[bool, str, list[str]]:
        diff = str(self.device.compare_config() or "")
        return bool(diff.strip()), diff, diff.splitlines()

    def commit(self, running: str, revert_in: int) -> None:
        self.device.commit_config(revert_in=revert_in)

    def confirm(self) -> None:
        self.device.confirm_commit()

    def rollback(self) -> None:
        self.device.rollback()  # also discards a pending commit-confirm

    def health(self, checks: dict[str, Any]) -> list[str]:
        problems: list[str] = []
        if checks.get("interfaces_up"):
            interfaces = self.device.get_interfaces()
            for name in checks["interfaces_up"]:
                if not interfaces.get(name, {}).get("is_up"):
                    problems.append(f"interface {name} is not up")
        for prefix in checks.get("routes", []) or []:
            found = self.device.get_route_to(destination=prefix)
            # napalm answers {prefix: []} for a prefix not in the table (and a
            # string for an invalid one): look at the entries, not the dict
            if not isinstance(found, dict) or not any(found.values()):
                problems.append(f"route {prefix} is not in the routing table")
        return problems


def make_driver(params: dict[str, Any]) -> Any:
    """Given the module's parameters, return the driver for the device's platform."""
    platform = params["platform"]
    if platform == "frr":
        return FrrDriver(
            params["host"],
            params["username"],
            params.get("key_file"),
            int(params.get("port") or 22),
            params.get("password"),
        )
    if platform in NAPALM_PLATFORMS:
        return NapalmDriver(
            platform,
            params["host"],
            params["username"],
            params.get("password"),
            params.get("optional_args"),
        )
    if platform in NETMIKO_PLATFORMS:
        from ansible.module_utils.sop_netmiko import (  # type: ignore[import-not-found]
            NetmikoDriver,
        )

        return NetmikoDriver(platform, params)
    raise NetconfigError(
        f"platform {platform!r}: supported are frr (own driver), napalm's "
        f"{', '.join(NAPALM_PLATFORMS)} and netmiko's {', '.join(NETMIKO_PLATFORMS)}"
    )


def change(
    driver: Any,
    candidate: str,
    replace: bool,
    revert_in: int,
    checks: dict[str, Any],
    health_wait: float,
    check_mode: bool,
) -> dict[str, Any]:
    """Given a driver and a candidate, carry out the whole safe change; return the result.

    Raise NetconfigError (with ``result`` attached) when the change was
    rolled back or could not be made.
    """
    result: dict[str, Any] = {"changed": False, "platform": driver.platform, "steps": []}
    steps: list[str] = result["steps"]
    before = driver.get_config()
    result["before"] = before
    steps.append("read the running configuration")
    driver.load_candidate(candidate, replace)
    steps.append(f"loaded the candidate ({'replace' if replace else 'merge'}), syntax checked")
    changed, diff, commands = driver.compare(before)
    result.update(diff=diff, commands=commands)
    steps.append(f"compared: {len(commands)} command(s) differ")
    if not changed or check_mode:
        result["changed"] = changed
        result["after"] = before
        return result
    driver.commit(before, revert_in)
    steps.append(f"committed with a revert timer of {revert_in} s")
    if getattr(driver, "commit_note", ""):  # where a controller-side watchdog runs
        steps.append(driver.commit_note)
    if getattr(driver, "commit_warning", ""):
        result["warnings"] = [driver.commit_warning]
    if health_wait:
        time.sleep(health_wait)
    problems = driver.health(checks)
    if problems:
        steps.append("health check failed: " + "; ".join(problems))
        driver.rollback()
        after = driver.get_config()
        same = after == before
        steps.append(
            "rolled back; running config "
            + ("equals" if same else "DIFFERS FROM")
            + " the one before"
        )
        result.update(after=after, rolled_back=True, restored=same, problems=problems)
        error = NetconfigError(
            "health check failed after commit ("
            + "; ".join(problems)
            + "); rolled back, "
            + (
                "running configuration equals the one before"
                if same
                else "BUT the running configuration differs from the one before"
            )
        )
        error.result = result  # type: ignore[attr-defined]
        raise error
    steps.append(
        "health checks passed: "
        + ", ".join(sorted(k for k in checks if checks[k]))
        + ", management"
    )
    driver.confirm()
    steps.append("confirmed (revert timer disarmed, configuration saved)")
    after = driver.get_config()
    result.update(
        changed=True,
        after=after,
        diff=unified_diff(before, after, "running-config", "after"),
        problems=[],
    )
    return result
