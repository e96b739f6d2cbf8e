"""How systemd reads a unit: its command line's words and its EnvironmentFile, for tests that
run an installed timer's command as systemd would (backup and monitoring schedules)."""

from __future__ import annotations

import subprocess
from pathlib import Path

# What systemd (and Debian's cron) give a job: no venv, no HOME, none of our settings.
SYSTEMD_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
_ESCAPES = {"\\": "\\", '"': '"', "'": "'", "n": "\n", "t": "\t", "s": " "}


def systemd_words(line: str) -> list[str]:
    """Given a unit's command line, return its words as systemd reads them
    (systemd.service, "Command lines"): quotes group, C escapes are undone (an unknown
    escape stays, backslash and all), "$$" is "$" and "%%" is "%"."""
    words: list[str] = []
    word, quote, index, started = "", "", 0, False
    while index < len(line):
        char = line[index]
        if char == "\\" and index + 1 < len(line):
            nxt = line[index + 1]
            word += _ESCAPES.get(nxt, "\\" + nxt)
            index += 2
            started = True
            continue
        if quote:
            if char == quote:
                quote = ""
            else:
                word += char
        elif char in "\"'":
            quote, started = char, True
        elif char.isspace():
            if started:
                words.append(word)
            word, started = "", False
        else:
            word += char
            started = True
        index += 1
    if started:
        words.append(word)
    return [w.replace("$$", "$").replace("%%", "%") for w in words]


def environment_file(path: Path) -> dict[str, str]:
    """Given an EnvironmentFile, return its variables (KEY="VALUE" lines, # comments)."""
    found = {}
    for line in path.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            key, _, value = line.partition("=")
            found[key] = value.strip('"')
    return found


def unit_fields(path: Path) -> dict[str, str]:
    """Given a unit file, return its KEY=VALUE lines as a mapping."""
    return dict(line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)


def run_as_systemd(service: Path, timeout: int = 300) -> subprocess.CompletedProcess[str]:
    """Given an installed service unit, run its ExecStart as systemd would: its words as
    systemd reads them, only the EnvironmentFile's variables and systemd's PATH, in /."""
    fields = unit_fields(service)
    settings = environment_file(Path(fields["EnvironmentFile"]))
    return subprocess.run(
        systemd_words(fields["ExecStart"]),
        env={"PATH": SYSTEMD_PATH, "LANG": "C.UTF-8", **settings},
        capture_output=True,
        text=True,
        check=False,
        timeout=timeout,
        cwd="/",
    )
