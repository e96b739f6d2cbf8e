"""netmiko's side of the network-device interface (SOP 3.1), with a revert watchdog.

For platforms napalm has no driver for, the ``netconfig`` module drives the
device's CLI through netmiko.  Such devices have no replace and no
commit-confirm of their own that works the same everywhere, so:

- the candidate is MERGED: the commands are the candidate's lines that the
  running configuration lacks, found section by section (``interface eth1`` /
  `` description ...``);
- a rollback brings the running configuration back to the text read before
  the change: lines that appeared are negated, lines that went away are sent
  again, and the result is read back and compared;
- commit-confirm is EMULATED ON THE CONTROLLER by a watchdog (``sop_netwatch``):
  before the first command is sent, a process outside the run's process tree
  and outside its cgroup (so it outlives a ``kill -9`` of the run and a kill of
  the run's whole cgroup) holds the configuration before; unless the change is
  confirmed or rolled back within ``revert_in`` seconds it logs in and restores
  it.  Confirming and firing claim the change by renaming its state file, so
  exactly one of them wins.  A change whose watchdog died is rolled back by
  ``sop config recover`` (also run at the start of ``sop``).  What it does not
  cover: the controller machine itself going down until someone runs ``sop``.

This file and sop_netwatch.py are self-contained (standard library and netmiko):
the watchdog runs them from its directory after Ansible has removed the module's
temporary files.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

try:  # inside Ansible's payload
    from ansible.module_utils import sop_netwatch as netwatch  # type: ignore[attr-defined]
except ImportError:  # run by the watchdog from its directory (WATCH_DIR), by plain names
    import sop_netwatch as netwatch  # type: ignore[no-redef]

WATCH_DIR = netwatch.WATCH_DIR  # the driver's; tests point it elsewhere
ERROR_MARKERS = (
    "% Unknown command",
    "% Invalid",
    "% Incomplete",
    "% Ambiguous",
    "bad command name",
    "expected end of command",
    "syntax error",
    "failure:",
)


class NetmikoError(Exception):
    """A netmiko-driven change could not be made or was rolled back."""


@dataclass(frozen=True)
class Dialect:
    """How one CLI family shows, changes, negates and saves its configuration."""

    name: str
    device_type: str
    show_config: str
    probe: str
    save: str
    exit_section: str
    sectioned: bool  # Cisco-like: indented lines belong to the line above them

    def ignored(self, line: str) -> bool:
        """Given a configuration line, return whether it carries no configuration."""
        stripped = line.strip()
        if not stripped:
            return True
        if self.name == "mikrotik_routeros":
            return stripped.startswith("#")
        return (
            stripped in ("!", "end", "exit", "exit-address-family")
            or stripped.startswith(("Building configuration", "Current configuration"))
            or stripped.startswith("!")
        )

    def negate(self, line: str) -> str | None:
        """Given a configuration line, return the command that removes it (None if none)."""
        if self.name == "mikrotik_routeros":
            # "/ip route add dst-address=X gateway=Y" -> remove what matches exactly
            match = re.match(r"^(/\S+(?: \S+)*?) add (.+)$", line)
            return f"{match.group(1)} remove [find {match.group(2)}]" if match else None
        stripped = line.strip()
        return stripped[3:] if stripped.startswith("no ") else f"no {stripped}"


DIALECTS = {
    # An IOS-like CLI driven through netmiko's cisco_ios support: IOS itself
    # without napalm, and FRRouting's vtysh (the lab's rtr1 login netadmin).
    "cisco_ios": Dialect(
        name="cisco_ios",
        device_type="cisco_ios",
        show_config="show running-config",
        probe="show version",
        save="write memory",
        exit_section="exit",
        sectioned=True,
    ),
    # RouterOS: `/export terse` prints one full command per line; changes are
    # saved as they are made.
    "mikrotik_routeros": Dialect(
        name="mikrotik_routeros",
        device_type="mikrotik_routeros",
        show_config="/export terse",
        probe="/system resource print",
        save="",
        exit_section="",
        sectioned=False,
    ),
}

Sections = list[tuple[str, list[str]]]


def sections(text: str, dialect: Dialect) -> Sections:
    """Given a configuration text, return its (line, child lines) in order."""
    result: Sections = []
    for raw in text.splitlines():
        if dialect.ignored(raw):
            continue
        line = raw.rstrip()
        if dialect.sectioned and line[:1].isspace() and result:
            result[-1][1].append(line.strip())
        else:
            result.append((line.strip(), []))
    return result


def clean(text: str, dialect: Dialect) -> str:
    """Given raw `show` output, return the configuration lines only (for diffs)."""
    lines = []
    for parent, children in sections(text, dialect):
        lines.append(parent)
        lines.extend(f" {child}" for child in children)
    return "\n".join(lines) + ("\n" if lines else "")


def _index(parsed: Sections) -> dict[str, list[str]]:
    index: dict[str, list[str]] = {}
    for parent, children in parsed:
        index.setdefault(parent, []).extend(children)
    return index


def merge_commands(running: str, candidate: str, dialect: Dialect) -> list[str]:
    """Given the running config and a candidate snippet, return the commands to merge it."""
    have = _index(sections(running, dialect))
    commands: list[str] = []
    for parent, children in sections(candidate, dialect):
        if not children:
            if parent not in have:
                commands.append(parent)
            continue
        missing = [c for c in children if c not in have.get(parent, [])]
        if missing:
            commands += [parent, *(f" {c}" for c in missing)]
            if dialect.exit_section:
                commands.append(dialect.exit_section)
    return commands


def restore_commands(current: str, before: str, dialect: Dialect) -> list[str]:
    """Given the running config now and the one to return to, return the commands.

    Lines that appeared are negated first, then lines that went away are sent
    again (a negation such as ``no description X`` may also clear a value that
    the second half then puts back).
    """
    now, then = _index(sections(current, dialect)), _index(sections(before, dialect))
    negations: list[str] = []
    additions: list[str] = []
    for parent, children in now.items():
        if parent not in then:
            undo = dialect.negate(parent)
            if undo:
                negations.append(undo)
            continue
        extra = [c for c in children if c not in then[parent]]
        for child in extra:
            undo = dialect.negate(child)
            if undo:
                negations += [parent, f" {undo}"]
                if dialect.exit_section:
                    negations.append(dialect.exit_section)
    for parent, children in then.items():
        if parent not in now:
            additions.append(parent)
            additions += [f" {c}" for c in children]
            if children and dialect.exit_section:
                additions.append(dialect.exit_section)
            continue
        missing = [c for c in children if c not in now[parent]]
        if missing:
            additions += [parent, *(f" {c}" for c in missing)]
            if dialect.exit_section:
                additions.append(dialect.exit_section)
    return negations + additions


def refused(output: str) -> list[str]:
    """Given the device's echo of configuration commands, return the lines it refused."""
    return [line.strip() for line in output.splitlines() if any(m in line for m in ERROR_MARKERS)]


def connect(params: dict[str, Any], dialect: Dialect) -> Any:
    """Given connection parameters, return an open netmiko connection."""
    from netmiko import ConnectHandler  # type: ignore[import-not-found]

    key_file = params.get("key_file")
    return ConnectHandler(
        device_type=dialect.device_type,
        host=params["host"],
        port=int(params.get("port") or 22),
        username=params["username"],
        password=params.get("password") or "",
        key_file=key_file,
        use_keys=bool(key_file),
        allow_agent=False,
        **(params.get("optional_args") or {}),
    )


def show_config(connection: Any, dialect: Dialect) -> str:
    """Given a connection, return the running configuration's lines (no prompt, no noise)."""
    raw = str(connection.send_command(dialect.show_config))
    # netmiko usually strips the trailing prompt, but not when the device sends
    # it twice (seen with the RouterOS simulator): drop a line that is only a prompt.
    prompt = re.compile(rf"^\[?{re.escape(str(connection.base_prompt))}\]?\s*[>#]\s*$")
    lines = [line for line in raw.splitlines() if not prompt.match(line.strip())]
    return clean("\n".join(lines), dialect)


def restore(connection: Any, before: str, dialect: Dialect) -> tuple[bool, str]:
    """Given a connection and the configuration before, bring it back; return (equal?, now)."""
    commands = restore_commands(show_config(connection, dialect), before, dialect)
    if commands:
        connection.send_config_set(commands, cmd_verify=False)
    now = show_config(connection, dialect)
    return now == clean(before, dialect), now


class NetmikoDriver:
    """A device's CLI through netmiko: merge, compare, commit under a watchdog, confirm."""

    supports_revert_in = True  # emulated by the controller-side watchdog

    def __init__(self, platform: str, params: dict[str, Any]) -> None:
        if platform not in DIALECTS:
            raise NetmikoError(
                f"platform {platform!r} has no netmiko dialect here; known: {', '.join(DIALECTS)}"
            )
        self.platform, self.dialect, self.params = platform, DIALECTS[platform], params
        self.connection: Any = None
        self.commands: list[str] = []
        self.before = ""
        self.token = ""
        self.commit_note = ""  # where the watchdog runs, for the steps of the change
        self.commit_warning = ""  # said when a kill of the run's cgroup would kill it too
        self.watch_dir = WATCH_DIR
        self.name = netwatch.device_name(params["host"], int(params.get("port") or 22))
        self.pending_file = self.watch_dir / f"{self.name}.pending.json"

    def open(self) -> None:
        """Log in to the device."""
        try:
            self.connection = connect(self.params, self.dialect)
        except Exception as exc:  # netmiko raises many kinds
            raise NetmikoError(f"cannot reach {self.params['host']} with netmiko: {exc}") from exc

    def close(self) -> None:
        """Log out."""
        if self.connection is not None:
            self.connection.disconnect()
            self.connection = None

    def get_config(self) -> str:
        """Return the running configuration (configuration lines only)."""
        return show_config(self.connection, self.dialect)

    def _unfinished(self) -> tuple[str, str]:
        """Return (state, token) of a change on this device not yet finished (('', '') if none).

        The state is pending, firing (its watchdog restores it), recovering or
        unrecovered (a rollback failed).
        """
        for suffix in netwatch.STATES:
            path = self.watch_dir / f"{self.name}{suffix}"
            if path.exists():
                try:
                    token = str(json.loads(path.read_text()).get("token", "?"))
                except (OSError, ValueError):
                    token = "?"
                return suffix.split(".")[1], token
        return "", ""

    def pending(self) -> str:
        """Return the token of an unfinished change on this device ('' when none)."""
        return self._unfinished()[1]

    def _pending_message(self, state: str, token: str) -> str:
        """Given an unfinished change's state and token, say what the petugas should do."""
        earlier = f"an earlier change on {self.params['host']} ({token})"
        if state == "unrecovered":
            return (
                f"{earlier} could not be rolled back (see {self.watch_dir / 'history'}); "
                "run `sop config recover` to try again, or restore the device to the "
                f"configuration before it (key 'before' in {self.watch_dir / self.name}"
                ".unrecovered.json) and remove that file"
            )
        if state == "recovering" or (state == "firing" and netwatch.alive(self.watch_dir, token)):
            return f"{earlier} is being rolled back right now - try again in a moment"
        if netwatch.alive(self.watch_dir, token):
            return (
                f"{earlier} still waits for confirmation; its watchdog rolls it back when its "
                "time is up - try again after that"
            )
        # e.g. the controller rebooted: nobody will confirm or roll back that change
        return (
            f"{earlier} was neither confirmed nor rolled back and its watchdog is gone; "
            "`sop config recover` rolls it back once its time is up"
        )

    def load_candidate(self, text: str, replace: bool) -> None:
        """Given a candidate snippet, keep it (netmiko platforms merge only)."""
        if replace:
            raise NetmikoError(
                f"platform {self.platform} (netmiko) merges only: use mode=merge, or a "
                "napalm platform / frr for replacing the whole configuration"
            )
        self.candidate = text

    def compare(self, running: str) -> tuple[bool, str, list[str]]:
        """Given the running config, return (changes?, diff text, device commands)."""
        self.commands = merge_commands(running, self.candidate, self.dialect)
        diff = "".join(f"+ {c}\n" for c in self.commands if c != self.dialect.exit_section)
        return bool(self.commands), diff, self.commands

    def commit(self, running: str, revert_in: int) -> None:
        """Given the config before, start the revert watchdog, then send the commands."""
        state, token = self._unfinished()
        if state:
            raise NetmikoError(self._pending_message(state, token))
        self.before = running
        self.token = secrets.token_hex(8)
        self._start_watchdog(revert_in)
        output = self.connection.send_config_set(self.commands, cmd_verify=False)
        bad = refused(output)
        if bad:
            self.rollback()
            raise NetmikoError(f"the device refused: {'; '.join(bad)[:400]}; rolled back")

    def _start_watchdog(self, revert_in: int) -> None:
        self.watch_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(self.watch_dir, 0o700)
        state = {
            "token": self.token,
            "platform": self.platform,
            "params": {k: self.params.get(k) for k in CONNECT_KEYS},
            "before": self.before,
            "deadline": time.time() + revert_in,
        }
        # 0600 from the start: the state may hold the device password.
        fd = os.open(self.pending_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            json.dump(state, out)
        sources = {
            "sop_netwatch.py": _source(netwatch),
            "sop_netmiko.py": _source(sys.modules[__name__]),
        }
        try:
            cgroup = netwatch.start(self.watch_dir, self.pending_file, self.token, sources)
        except netwatch.WatchdogError as exc:
            raise NetmikoError(str(exc)) from exc
        run = netwatch.own_cgroup()
        if netwatch.outside(cgroup, run):
            self.commit_note = (
                f"revert watchdog {self.token} runs outside the run (cgroup {cgroup})"
            )
            return
        self.commit_warning = (
            f"the revert watchdog {self.token} could not leave the run's cgroup "
            f"({run or 'no cgroup v2'}; it needs root and cgroup v2, or systemd): if the "
            "run's cgroup is killed, `sop config recover` rolls the change back"
        )
        self.commit_note = f"revert watchdog {self.token}: {self.commit_warning}"

    def _claim(self, outcome: str) -> bool:
        """Take the change away from the watchdog; False when it already fired."""
        return netwatch.claim(self.watch_dir, self.pending_file, self.token, outcome)

    def confirm(self) -> None:
        """Stop the watchdog and save the configuration."""
        if not self._claim("confirmed"):
            raise NetmikoError(
                "the revert watchdog fired before the confirmation: the change was rolled back"
            )
        if self.dialect.save:
            self.connection.send_command_timing(self.dialect.save)
        netwatch.history(self.watch_dir, f"{self.params['host']} {self.token} confirmed")

    def rollback(self) -> None:
        """Restore the configuration read before the change, then stop the watchdog.

        The watchdog stays armed while the restore runs: should this run die half
        way (its cgroup killed), the watchdog still restores at the deadline.
        """
        equal, _ = restore(self.connection, self.before, self.dialect)
        claimed = self._claim("rolledback")
        netwatch.history(
            self.watch_dir,
            f"{self.params['host']} {self.token} rolled back"
            + ("" if claimed else " (after the watchdog)")
            + ("" if equal else ": running config DIFFERS from the one before"),
        )

    def health(self, checks: dict[str, Any]) -> list[str]:
        """Given health checks, return the problems found (empty when healthy)."""
        try:  # management reachability: a new login must still work
            fresh = connect(self.params, self.dialect)
            try:
                fresh.send_command(self.dialect.probe)
            finally:
                fresh.disconnect()
        except Exception as exc:
            return [f"management: cannot log in again to {self.params['host']}: {exc}"]
        problems: list[str] = []
        for name in checks.get("interfaces_up", []) or []:
            problems += self._interface_problems(str(name))
        for prefix in checks.get("routes", []) or []:
            problems += self._route_problems(str(prefix))
        if checks.get("ping"):
            problems.append("ping checks are for platform frr only")
        return problems

    def _interface_problems(self, name: str) -> list[str]:
        if self.dialect.name == "mikrotik_routeros":
            out = self.connection.send_command(f"/interface print terse where name={name}")
            # a row is "[index] [flags] key=value ...": the flags are the words before
            # the first key (comment=, free text, may follow them and is not searched)
            rows = [row for row in out.splitlines() if f" name={name} " in f" {row} "]
            if not rows:
                return [f"interface {name} is not present"]
            flags = "".join(rows[0].split("=", 1)[0].split()[:-1])
            return [] if "R" in flags else [f"interface {name} is not running"]
        out = self.connection.send_command(f"show interface {name}")
        match = re.search(rf"{re.escape(name)} is (administratively )?(\w+)", out)
        if not match:
            return [f"interface {name} is not present"]
        if match.group(1) or match.group(2) != "up":
            return [f"interface {name} is {(match.group(1) or '') + match.group(2)}"]
        protocol = re.search(r"line protocol is (\w+)", out)
        if protocol and protocol.group(1) != "up":
            return [f"interface {name}: line protocol is {protocol.group(1)}"]
        return []

    def _route_problems(self, prefix: str) -> list[str]:
        if self.dialect.name == "mikrotik_routeros":
            out = self.connection.send_command(f"/ip route print terse where dst-address={prefix}")
            # flags as for interfaces; A (active) may follow D (dynamic): 7.x's "DAc"
            rows = [row for row in out.splitlines() if f" dst-address={prefix} " in f" {row} "]
            if not rows:
                return [f"route {prefix} is not in the routing table"]
            active = any("A" in "".join(row.split("=", 1)[0].split()[:-1]) for row in rows)
            return [] if active else [f"route {prefix} is not active"]
        out = self.connection.send_command(f"show ip route {prefix}")
        if "not in table" in out or prefix.split("/")[0] not in out:
            return [f"route {prefix} is not in the routing table"]
        return []


CONNECT_KEYS = ("host", "port", "username", "password", "key_file", "optional_args")


def _source(module: Any) -> str:
    """Given a module, return its source (from its file, or from Ansible's zipped payload)."""
    path = Path(str(getattr(module, "__file__", "") or ""))
    if path.is_file():
        return path.read_text()
    loader = getattr(module, "__loader__", None)
    return str(loader.get_source(module.__name__)) if loader is not None else ""
