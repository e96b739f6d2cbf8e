"""Scheduled commands reach cron and sh as meant: a "%" is escaped for cron (which would
cut the line there), every input is one shell word, and what cannot be written safely
(a backslash, a newline) is refused naming its field."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from sop_runner.errors import SopError
from sop_runner.procedures.backup import schedules
from sop_runner.scheduling import Scheduled, cron_escape, cron_unescape


def cron_reads(command: str) -> str:
    """Return what cron hands to sh of a cron.d command: crontab(5) — an unescaped "%"
    ends the command (the rest is its standard input), "\\%" is a plain "%".  Not a mock of
    cron's scheduling, only of this one text rule (no cron daemon runs in the tests)."""
    out, escaped = [], False
    for char in command:
        if escaped:
            out.append(char if char == "%" else "\\" + char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == "%":
            break
        else:
            out.append(char)
    return "".join(out)


def test_percent_is_escaped_for_cron_and_comes_back_for_systemd() -> None:
    command = "/opt/sop 100%/bin/sop monitoring report --as 'budi'"
    assert cron_reads(cron_escape(command)) == command
    assert cron_unescape(cron_escape(command)) == command
    job = Scheduled("n", "d", "0 6 * * 1", "Mon *-*-* 06:00:00", command)
    line = job.cron_line(Path("/etc/sop 50%/schedule.env"))
    assert cron_reads(line.split(" root ", 1)[1]).endswith(command)


def test_backup_entries_keep_inputs_as_data(tmp_path) -> None:  # type: ignore[no-untyped-def]
    marker = tmp_path / "ran"
    repository = f"/mnt/backup/x'; touch {marker}; echo '"
    # `sop` replaced by echo: the line runs as cron hands it to sh and prints its words.
    entries = schedules.schedule_entries(
        "srv1", repository, ["/srv/50% data"], [], sop="/bin/echo", operator="budi"
    )
    command = cron_reads(entries["file"].split(" root ", 1)[1])
    done = subprocess.run(["sh", "-c", command], capture_output=True, text=True, check=True)
    assert not marker.exists()
    assert f"--param repository={repository} " in done.stdout
    assert "--param paths=[/srv/50% data] " in done.stdout
    units = schedules.systemd_units(entries)
    assert "50%% data" in units["sop-backup-file.service"]  # systemd's own escape


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"repository": "/mnt/a\\b"}, "--repository"),
        ({"paths": ["/srv/a\nb"]}, "--path"),
        ({"target": "srv\\1"}, "--target"),
    ],
)
def test_backslash_or_newline_is_refused_naming_the_field(kwargs, field) -> None:  # type: ignore[no-untyped-def]
    args = {"target": "srv1", "repository": "/mnt/r", "paths": ["/srv"], "databases": []}
    args.update(kwargs)
    with pytest.raises(SopError, match=f"^{field}: "):
        schedules.schedule_entries(
            args["target"], args["repository"], args["paths"], args["databases"]
        )
