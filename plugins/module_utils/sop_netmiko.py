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
- commit-confirm is EMULATED ON THE CONTROLLER by a watchdog: before the first
  command is sent, a detached process (its own session, so it outlives a
  ``kill -9`` of ``sop``, ansible-playbook and this module) is started with the
  configuration before; unless the change is confirmed or rolled back within
  ``revert_in`` seconds it logs in and restores it.  Confirming and firing
  claim the change by renaming its state file, so exactly one of them wins.
  What it does not cover: the controller machine itself going down.

This file is self-contained (standard library and netmiko): the watchdog runs
it as a script after Ansible has removed the module's temporary files.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

WATCH_DIR = Path("/var/lib/sop-netwatch")
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


def history(line: str) -> None:
    """Append one line to the watchdog's history (what was confirmed or rolled back)."""
    WATCH_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)
    with (WATCH_DIR / "history").open("a") as out:
        out.write(f"{time.strftime('%Y-%m-%dT%H:%M:%S%z')} {line}\n")


def _state_name(host: str, port: int) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", f"{host}_{port}")


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
        name = _state_name(params["host"], int(params.get("port") or 22))
        self.pending_file = WATCH_DIR / f"{name}.pending.json"

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

    def pending(self) -> str:
        """Return the token of a change on this device still waiting for confirmation."""
        if not self.pending_file.exists():
            return ""
        return str(json.loads(self.pending_file.read_text()).get("token", "?"))

    def _pending_message(self, token: str) -> str:
        """Given the token of an unfinished change, say what the petugas should do."""
        host = self.params["host"]
        if _watchdog_alive(token):
            return (
                f"an earlier change on {host} ({token}) still waits for confirmation; "
                "its watchdog rolls it back when its time is up - try again after that"
            )
        # e.g. the controller rebooted: nobody will confirm or roll back that change
        return (
            f"an earlier change on {host} ({token}) was neither confirmed nor rolled back and "
            f"its watchdog is gone; compare the device with the configuration before it "
            f"(key 'before' in {self.pending_file}), restore it if needed, then remove that file"
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
        token = self.pending()
        if token:
            raise NetmikoError(self._pending_message(token))
        self.before = running
        self.token = secrets.token_hex(8)
        self._start_watchdog(revert_in)
        output = self.connection.send_config_set(self.commands, cmd_verify=False)
        bad = refused(output)
        if bad:
            self.rollback()
            raise NetmikoError(f"the device refused: {'; '.join(bad)[:400]}; rolled back")

    def _start_watchdog(self, revert_in: int) -> None:
        WATCH_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(WATCH_DIR, 0o700)
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
        script = WATCH_DIR / "netwatch.py"
        script.write_text(Path(__file__).read_text() if Path(__file__).is_file() else _source())
        ready = WATCH_DIR / f"{self.token}.ready"
        starter = subprocess.Popen(
            [sys.executable, str(script), str(self.pending_file), self.token],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # outlives the run's process group and terminal
            close_fds=True,
        )
        starter.wait(timeout=30)  # it forks the watchdog and leaves at once
        for _ in range(100):
            if ready.exists():
                return
            time.sleep(0.05)
        self.pending_file.unlink(missing_ok=True)
        raise NetmikoError("the revert watchdog did not start; nothing was sent to the device")

    def _claim(self, outcome: str) -> bool:
        """Take the change away from the watchdog; False when it already fired."""
        try:
            os.rename(self.pending_file, WATCH_DIR / f"{self.token}.{outcome}")
        except FileNotFoundError:
            return False
        pid_file = WATCH_DIR / f"{self.token}.ready"
        with contextlib.suppress(OSError, ValueError):
            os.kill(int(pid_file.read_text()), signal.SIGTERM)
        for path in (pid_file, WATCH_DIR / f"{self.token}.{outcome}"):
            path.unlink(missing_ok=True)
        return True

    def confirm(self) -> None:
        """Stop the watchdog and save the configuration."""
        if not self._claim("confirmed"):
            raise NetmikoError(
                "the revert watchdog fired before the confirmation: the change was rolled back"
            )
        if self.dialect.save:
            self.connection.send_command_timing(self.dialect.save)
        history(f"{self.params['host']} {self.token} confirmed")

    def rollback(self) -> None:
        """Stop the watchdog and restore the configuration read before the change."""
        claimed = self._claim("rollingback")
        equal, _ = restore(self.connection, self.before, self.dialect)
        history(
            f"{self.params['host']} {self.token} rolled back"
            + ("" if claimed else " (after the watchdog)")
            + ("" if equal else ": running config DIFFERS from the one before")
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


def _watchdog_alive(token: str) -> bool:
    """Given a change's token, return whether its watchdog process still runs."""
    try:
        os.kill(int((WATCH_DIR / f"{token}.ready").read_text()), 0)
    except (OSError, ValueError):
        return False
    return True


CONNECT_KEYS = ("host", "port", "username", "password", "key_file", "optional_args")


def _source() -> str:
    """Return this file's source when it runs from Ansible's zipped payload."""
    loader = globals().get("__loader__")
    return str(loader.get_source(__name__)) if loader is not None else ""


def watch(state_file: str, token: str) -> int:
    """The watchdog: wait for the deadline; unless claimed, restore the config before."""
    path = Path(state_file)
    ready = WATCH_DIR / f"{token}.ready"
    state = json.loads(path.read_text())
    ready.write_text(str(os.getpid()))
    while time.time() < float(state["deadline"]):
        if not path.exists():  # confirmed or rolled back by the driver
            ready.unlink(missing_ok=True)
            return 0
        time.sleep(0.2)
    firing = WATCH_DIR / f"{token}.firing"
    try:
        os.rename(path, firing)
    except FileNotFoundError:
        ready.unlink(missing_ok=True)
        return 0
    host = state["params"]["host"]
    dialect = DIALECTS[state["platform"]]
    try:
        connection = connect(state["params"], dialect)
        try:
            equal, _ = restore(connection, state["before"], dialect)
        finally:
            connection.disconnect()
        history(
            f"{host} {token} rolled back by watchdog"
            + ("" if equal else ": running config DIFFERS from the one before")
        )
    except Exception as exc:  # the history says it; nobody else is listening
        history(f"{host} {token} watchdog could NOT roll back: {exc}")
        return 1
    finally:
        firing.unlink(missing_ok=True)
        ready.unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    # Fork once more and let the first process go: the watchdog is then no
    # longer a descendant of the run, so killing the run's process tree
    # (kill -9 of ansible-playbook and everything below it) leaves it alive.
    if os.fork():
        os._exit(0)
    WATCH_DIR = Path(sys.argv[1]).parent  # the driver's, wherever it was set
    sys.exit(watch(sys.argv[1], sys.argv[2]))
