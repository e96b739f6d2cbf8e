"""Shared code of the OS upgrade modules of sop-pusatdata (SOP 4.2).

Pure helpers (standard library only, so the unit tests import them directly):
Debian version comparison (dpkg's algorithm), the requirement syntax of the
application specs, the evaluation of requirements against gathered facts,
the verdict, and the parsing of ``apt-get -s`` and ``apt-cache policy``.

A requirement is one line ``SUBJECT [OP VALUE]``:

- ``python3.11 >= 3.11.2`` — a package; held against its version now and its
  version after the upgrade (the simulation's candidate).  A required version
  without an epoch is compared without the package's epoch (``openssh-server
  >= 9.2`` means upstream 9.2, not "any 1:…").  No OP: must be installed.
- ``release >= 12`` — the Debian release (``/etc/debian_version``).
- ``kernel >= 6.1`` — the running kernel (``uname -r``).
- ``disk_free_mb:/var >= 500`` — free space of the file system holding a path.
- ``kernel_module:overlay`` — a loaded kernel module (no OP).

OP is one of ``>= <= > < = == != >> <<`` (``>>``/``<<`` are Debian's strict forms).
"""

from __future__ import annotations

import re
from typing import Any

OPERATORS = (">=", "<=", ">>", "<<", "==", "!=", ">", "<", "=")
_REQUIREMENT = re.compile(
    r"^\s*(?P<subject>[^\s<>=!]+)\s*(?:(?P<op>>=|<=|>>|<<|==|!=|>|<|=)\s*(?P<value>[^\s<>=!]\S*))?\s*$"
)
_INST = re.compile(
    r"^Inst (?P<name>\S+) (?:\[(?P<old>[^\]]+)\] )?"
    r"\((?P<new>\S+) (?P<origin>[^\[]*?)\s*\[(?P<arch>[^\]]+)\]\)"
)
_REMV = re.compile(r"^Remv (?P<name>\S+) \[(?P<old>[^\]]+)\]")


def _order(char: str) -> int:
    if not char or char.isdigit():
        return 0
    if char.isalpha():
        return ord(char)
    if char == "~":
        return -1
    return ord(char) + 256


def _compare_part(a: str, b: str) -> int:
    i = j = 0
    while i < len(a) or j < len(b):
        while (i < len(a) and not a[i].isdigit()) or (j < len(b) and not b[j].isdigit()):
            ac = _order(a[i]) if i < len(a) else 0
            bc = _order(b[j]) if j < len(b) else 0
            if ac != bc:
                return ac - bc
            i += 1
            j += 1
        while i < len(a) and a[i] == "0":
            i += 1
        while j < len(b) and b[j] == "0":
            j += 1
        first_diff = 0
        while i < len(a) and j < len(b) and a[i].isdigit() and b[j].isdigit():
            if not first_diff:
                first_diff = ord(a[i]) - ord(b[j])
            i += 1
            j += 1
        if i < len(a) and a[i].isdigit():
            return 1
        if j < len(b) and b[j].isdigit():
            return -1
        if first_diff:
            return first_diff
    return 0


def split_version(version: str) -> tuple[int, str, str]:
    """Given a Debian version, return (epoch, upstream, revision)."""
    epoch, sep, rest = version.partition(":")
    if not sep:
        epoch, rest = "0", version
    upstream, sep, revision = rest.rpartition("-")
    if not sep:
        upstream, revision = rest, ""
    return int(epoch or 0), upstream, revision


def compare_versions(a: str, b: str) -> int:
    """Given two Debian versions, return <0, 0 or >0 as a is older, equal or newer (dpkg)."""
    ea, ua, ra = split_version(a)
    eb, ub, rb = split_version(b)
    if ea != eb:
        return ea - eb
    return _compare_part(ua, ub) or _compare_part(ra, rb)


def satisfies(found: str, op: str, needed: str) -> bool:
    """Given a found version, an operator and a needed version, return whether it holds.

    A needed version without an epoch ignores the found version's epoch.
    """
    if ":" not in needed and ":" in found:
        found = found.partition(":")[2]
    result = compare_versions(found, needed)
    return {
        ">=": result >= 0,
        "<=": result <= 0,
        ">>": result > 0,
        ">": result > 0,
        "<<": result < 0,
        "<": result < 0,
        "=": result == 0,
        "==": result == 0,
        "!=": result != 0,
    }[op]


def parse_requirement(text: str) -> dict[str, str]:
    """Given one requirement line, return {subject, op, value}; raise ValueError if malformed."""
    match = _REQUIREMENT.match(text or "")
    if not match:
        raise ValueError(
            f"requirement {text!r}: write SUBJECT [OP VALUE], e.g. 'python3.11 >= 3.11.2'; "
            f"OP one of {' '.join(OPERATORS)}"
        )
    subject, op, value = match["subject"], match["op"] or "", match["value"] or ""
    if subject.startswith("disk_free_mb:") and not (op and value.isdigit()):
        raise ValueError(f"requirement {text!r}: disk_free_mb:PATH needs OP and a number of MiB")
    if subject in ("release", "kernel") and not op:
        raise ValueError(f"requirement {text!r}: {subject} needs OP and a version")
    if subject.startswith("kernel_module:") and op:
        raise ValueError(f"requirement {text!r}: kernel_module:NAME takes no OP")
    return {"subject": subject, "op": op, "value": value}


INSTALLED_FORMAT = "${Package}\t${Version}\t${Architecture}\t${db:Status-Abbrev}\n"


def installed_packages(module: Any, environ: dict[str, str]) -> dict[str, dict[str, str]]:
    """Given an AnsibleModule, return {package: {version, arch}} of the installed packages."""
    rc, out, err = module.run_command(
        ["dpkg-query", "-W", "-f", INSTALLED_FORMAT], environ_update=environ
    )
    if rc != 0:
        module.fail_json(msg=f"dpkg-query failed: {err.strip()}")
    result = {}
    for line in out.splitlines():
        name, version, arch, status = line.split("\t")
        if status.startswith("ii"):
            result[name] = {"version": version, "arch": arch}
    return result


def parse_simulation(text: str) -> dict[str, Any]:
    """Given ``apt-get -s dist-upgrade`` output, return upgrades, new and removed packages."""
    upgrades: dict[str, dict[str, str]] = {}
    installs: dict[str, dict[str, str]] = {}
    removals: dict[str, str] = {}
    for line in text.splitlines():
        inst = _INST.match(line)
        if inst:
            entry = {"to": inst["new"], "origin": inst["origin"].strip(), "arch": inst["arch"]}
            if inst["old"]:
                upgrades[inst["name"]] = {"from": inst["old"], **entry}
            else:
                installs[inst["name"]] = entry
            continue
        remv = _REMV.match(line)
        if remv:
            removals[remv["name"]] = remv["old"]
    return {"upgrades": upgrades, "installs": installs, "removals": removals}


def parse_policy_candidates(text: str) -> dict[str, dict[str, str]]:
    """Given ``apt-cache policy PKG...`` output, return {package: {installed, candidate}}."""
    result: dict[str, dict[str, str]] = {}
    current = ""
    for line in text.splitlines():
        if line and not line.startswith(" ") and line.endswith(":"):
            current = line[:-1]
            result[current] = {"installed": "", "candidate": ""}
        elif current and line.strip().startswith(("Installed:", "Candidate:")):
            key, _, value = line.strip().partition(":")
            value = value.strip()
            result[current][key.lower()] = "" if value == "(none)" else value
    return result


def parse_policy_releases(text: str) -> list[dict[str, str]]:
    """Given ``apt-cache policy`` output, return the releases apt knows (codename, version)."""
    found = []
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("release "):
            fields = dict(
                part.split("=", 1) for part in line[len("release ") :].split(",") if "=" in part
            )
            found.append(
                {
                    "codename": fields.get("n", ""),
                    "version": fields.get("v", ""),
                    "suite": fields.get("a", ""),
                    "origin": fields.get("o", ""),
                }
            )
    return found


def _target_release_reason(target: str, facts: dict[str, Any]) -> str:
    if target in ("", "latest"):
        return ""
    current = str(facts.get("release", ""))
    codename = str(facts.get("codename", ""))
    if target in (codename, current, current.split(".")[0]):
        return ""
    known = facts.get("apt_releases", []) or []
    for release in known:
        if target in (release.get("codename"), release.get("version", "").split(".")[0]):
            return ""
    names = sorted({r.get("codename", "") for r in known if r.get("codename")})
    return (
        f"target release {target!r} is not in the host's apt sources "
        f"(known: {', '.join(names) or 'none'}); switch the sources first (SOP 3.1)"
    )


def evaluate(
    requirements: list[dict[str, str]],
    facts: dict[str, Any],
) -> list[dict[str, Any]]:
    """Given requirements ({application, text}) and gathered facts, return one result each.

    Each result has the application, the requirement text, the value found now,
    the value expected after the upgrade, ok and (when not ok) the reason.
    """
    packages: dict[str, str] = facts.get("packages", {}) or {}
    simulation = facts.get("simulation", {}) or {}
    upgrades = simulation.get("upgrades", {}) or {}
    installs = simulation.get("installs", {}) or {}
    removals = simulation.get("removals", {}) or {}
    candidates = facts.get("candidates", {}) or {}
    results = []
    for item in requirements:
        entry: dict[str, Any] = {
            "application": item.get("application", ""),
            "requirement": item["text"],
            "now": "",
            "after": "",
            "ok": False,
            "reason": "",
        }
        try:
            req = parse_requirement(item["text"])
        except ValueError as error:
            entry["reason"] = str(error)
            results.append(entry)
            continue
        subject, op, value = req["subject"], req["op"], req["value"]
        if subject in ("release", "kernel"):
            now = str(facts.get(subject, ""))
            entry["now"] = entry["after"] = now
            entry["ok"] = bool(now) and satisfies(now, op, value)
            if not entry["ok"]:
                entry["reason"] = f"{subject} is {now or 'unknown'}, needs {op} {value}"
        elif subject.startswith("disk_free_mb:"):
            path = subject.partition(":")[2]
            free = (facts.get("disk_free_mb", {}) or {}).get(path)
            entry["now"] = entry["after"] = "" if free is None else str(free)
            entry["ok"] = free is not None and satisfies(str(free), op, value)
            if not entry["ok"]:
                entry["reason"] = f"free space on {path} is {free} MiB, needs {op} {value} MiB"
        elif subject.startswith("kernel_module:"):
            name = subject.partition(":")[2]
            loaded = name in (facts.get("kernel_modules", []) or [])
            entry["now"] = entry["after"] = "loaded" if loaded else "not loaded"
            entry["ok"] = loaded
            if not loaded:
                entry["reason"] = f"kernel module {name} is not loaded"
        else:
            now = packages.get(subject, "")
            if subject in removals:
                after = ""
            elif subject in upgrades:
                after = upgrades[subject]["to"]
            elif subject in installs:
                after = installs[subject]["to"]
            else:
                after = now
            entry["now"], entry["after"] = now, after
            candidate = (candidates.get(subject) or {}).get("candidate", "")
            if not after:
                entry["reason"] = (
                    f"package {subject} is removed by the upgrade"
                    if subject in removals
                    else f"package {subject} is not installed"
                    + (f" (candidate {candidate})" if candidate else " and has no candidate")
                )
            elif op and not satisfies(after, op, value):
                entry["reason"] = (
                    f"package {subject} will be {after} after the upgrade, needs {op} {value}"
                    + (f"; the release offers at most {candidate}" if candidate else "")
                )
            else:
                entry["ok"] = True
        results.append(entry)
    return results


def verdict(
    results: list[dict[str, Any]],
    facts: dict[str, Any],
    target_release: str = "latest",
    min_free_mb: int = 0,
) -> dict[str, Any]:
    """Given requirement results and facts, return {compatible, reasons, warnings}."""
    reasons = [
        f"{r['application'] or '-'}: {r['requirement']}: {r['reason']}"
        for r in results
        if not r["ok"]
    ]
    warnings = []
    target = _target_release_reason(str(target_release), facts)
    if target:
        reasons.append(target)
    if facts.get("simulation_rc", 0) != 0:
        reasons.append(
            "apt-get -s dist-upgrade failed: "
            + str(facts.get("simulation_error", "")).strip()[:300]
        )
    free_root = (facts.get("disk_free_mb", {}) or {}).get("/")
    if min_free_mb and free_root is not None and free_root < min_free_mb:
        reasons.append(
            f"free space on / is {free_root} MiB, the upgrade needs >= {min_free_mb} MiB"
        )
    held = facts.get("held", []) or []
    if held:
        warnings.append("held packages are not upgraded: " + ", ".join(sorted(held)))
    pending = len((facts.get("simulation", {}) or {}).get("upgrades", {}) or {})
    if not pending and not reasons:
        warnings.append("nothing to upgrade: every package is at its candidate version")
    return {"compatible": not reasons, "reasons": reasons, "warnings": warnings}
