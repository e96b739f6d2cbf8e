"""SOP 7.1–7.5 through the real `sop` command and the store (SQLite and PostgreSQL), no lab.

The schedule texts are pinned to the letter: cron and systemd run them as root,
so a reshape of the code must not change one character of them.
"""

from __future__ import annotations

import json
import os
import stat
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from sop_runner.procedures.backup.api import sole_copies_on
from sop_runner.procedures.backup.models import BackupRecord
from sop_runner.store.models import AuditEntry

SQLITE_ONLY = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
REPO = "sftp:root@backup:/srv/restic/ctl1"
# The entries call the installed `sop` by its absolute path, with the settings of an
# environment file (sop_runner/procedures/backup/schedules.py).
SOP = str(Path(sys.executable).parent / "sop")
ENV = "/etc/sop-pusatdata/schedule.env"
SOURCE = f"set -a && . {ENV} && set +a && "

CRON = (
    "# sop-pusatdata backup schedule (SOP 7.1 monthly, 7.2 weekly, 7.5 yearly)\n"
    "SHELL=/bin/sh\n"
    "PATH=/usr/local/bin:/usr/bin:/bin\n"
    f"30 1 * * 0 root {SOURCE}id=$({SOP} request 7.2 --target ctl1 "
    "--param 'databases=[mariadb/appdb, postgresql/appdb]' "
    f"--param 'repository={REPO}' --reason 'jadwal 7.2' --as budi --quiet) "
    f'&& [ -n "$id" ] && {SOP} run "$id" '
    "--confirm 1=terjadwal --confirm 2=terjadwal --confirm 3=terjadwal --confirm 5=terjadwal "
    "--as budi\n"
    f"30 2 1 * * root {SOURCE}id=$({SOP} request 7.1 --target ctl1 "
    "--param 'paths=[/srv/data, /etc]' "
    f"--param 'repository={REPO}' --reason 'jadwal 7.1' --as budi --quiet) "
    f'&& [ -n "$id" ] && {SOP} run "$id" '
    "--confirm 1=terjadwal --confirm 2=terjadwal --confirm 4=terjadwal --as budi\n"
    f"30 3 2 1 * root {SOURCE}id=$({SOP} request 7.5 --target ctl1 "
    f"--param 'repository={REPO}' --param 'max_age_days=365' --reason 'jadwal 7.5' "
    "--as budi --quiet) "
    f'&& [ -n "$id" ] && {SOP} run "$id" '
    "--confirm 1=terjadwal --confirm 3=terjadwal --as budi\n"
)

SYSTEMD = (
    "# --- sop-backup-file.service\n"
    "[Unit]\n"
    "Description=sop-pusatdata SOP 7.1 (file)\n"
    "\n"
    "[Service]\n"
    "Type=oneshot\n"
    f"EnvironmentFile={ENV}\n"
    f"ExecStart=/bin/sh -c \"id=$$({SOP} request 7.1 --target ctl1 --param 'paths=[/srv/data]' "
    "--param 'repository=/mnt/backup/restic' --reason 'jadwal 7.1' --quiet) "
    '&& [ -n \\"$$id\\" ] '
    f'&& {SOP} run \\"$$id\\" --confirm 1=terjadwal --confirm 2=terjadwal '
    '--confirm 4=terjadwal"\n'
    "\n"
    "# --- sop-backup-file.timer\n"
    "[Unit]\n"
    "Description=sop-pusatdata SOP 7.1 schedule\n"
    "\n"
    "[Timer]\n"
    "OnCalendar=*-*-01 02:30:00\n"
    "Persistent=true\n"
    "\n"
    "[Install]\n"
    "WantedBy=timers.target\n"
    "\n"
    "# --- sop-backup-retention.service\n"
    "[Unit]\n"
    "Description=sop-pusatdata SOP 7.5 (retention)\n"
    "\n"
    "[Service]\n"
    "Type=oneshot\n"
    f"EnvironmentFile={ENV}\n"
    f'ExecStart=/bin/sh -c "id=$$({SOP} request 7.5 --target ctl1 '
    "--param 'repository=/mnt/backup/restic' --param 'max_age_days=365' "
    "--reason 'jadwal 7.5' --quiet) "
    f'&& [ -n \\"$$id\\" ] && {SOP} run \\"$$id\\" --confirm 1=terjadwal '
    '--confirm 3=terjadwal"\n'
    "\n"
    "# --- sop-backup-retention.timer\n"
    "[Unit]\n"
    "Description=sop-pusatdata SOP 7.5 schedule\n"
    "\n"
    "[Timer]\n"
    "OnCalendar=*-01-02 03:30:00\n"
    "Persistent=true\n"
    "\n"
    "[Install]\n"
    "WantedBy=timers.target\n"
    "\n"
)


def _schedule(env, *extra: str, operator: str | None = None):  # type: ignore[no-untyped-def]
    return env.sop("backup", "schedule", "--target", "ctl1", *extra, operator=operator)


def _audit(env, action: str) -> list[dict]:  # type: ignore[no-untyped-def]
    with env.ctx().session() as session:
        rows = [json.loads(e.content) for e in session.scalars(select(AuditEntry))]
    return [r for r in rows if r["action"] == action]


@SQLITE_ONLY
def test_schedule_prints_the_cron_entries_to_the_letter(sop_env) -> None:  # type: ignore[no-untyped-def]
    result = _schedule(
        sop_env,
        "--repository", REPO,
        "--database", "mariadb/appdb", "--database", "postgresql/appdb",
        "--path", "/srv/data", "--path", "/etc",
        "--as", "budi",
    )  # fmt: skip
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout == CRON


@SQLITE_ONLY
def test_schedule_prints_the_systemd_units_to_the_letter(sop_env) -> None:  # type: ignore[no-untyped-def]
    result = _schedule(
        sop_env, "--repository", "/mnt/backup/restic", "--path", "/srv/data", "--format", "systemd"
    )
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout == SYSTEMD


@SQLITE_ONLY
def test_schedule_install_writes_what_it_prints_and_an_audit_entry(sop_env, tmp_path) -> None:  # type: ignore[no-untyped-def]
    dest = tmp_path / "cron.d" / "sop-pusatdata-backup"
    args = ("--repository", REPO, "--path", "/srv/data", "--path", "/etc")
    args += ("--database", "mariadb/appdb", "--database", "postgresql/appdb")
    result = _schedule(sop_env, *args, "--install", "--dest", str(dest), operator="dewi")
    env_file = dest.parent / "sop-pusatdata-schedule.env"
    assert (result.returncode, result.stdout) == (0, f"{dest}\n{env_file}\n"), result.stderr
    printed = _schedule(sop_env, *args, "--as", "budi").stdout
    assert dest.read_text() == printed.replace(" --as budi", "").replace(ENV, str(env_file))
    assert stat.S_IMODE(dest.stat().st_mode) == 0o644
    (entry,) = _audit(sop_env, "backup.schedule_installed")
    assert (entry["actor"], entry["subject"]) == ("dewi", "schedule/ctl1")
    assert entry["data"] == {
        "files": [str(dest), str(env_file)],
        "format": "cron",
        "repository": REPO,
    }

    units = tmp_path / "units"
    result = _schedule(
        sop_env, "--repository", REPO, "--format", "systemd", "--install", "--dest", str(units)
    )
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in units.iterdir()) == [
        "sop-backup-retention.service",
        "sop-backup-retention.timer",
        "sop-pusatdata-schedule.env",
    ]
    assert _audit(sop_env, "backup.schedule_installed")[-1]["actor"] == "sop"


@SQLITE_ONLY
@pytest.mark.parametrize(
    ("args", "line"),
    [
        (("--format", "anacron"), "sop: error: --format: 'anacron' tidak diizinkan"),
        (("--path", "srv/data"), "sop: error: --path: 'srv/data' relatif"),
        (
            ("--database", "oracle/x"),
            "sop: error: --database: 'oracle/x'; yang diizinkan: MESIN/NAMA",
        ),
        (
            ("--database", "mariadb/"),
            "sop: error: --database: 'mariadb/'; yang diizinkan: MESIN/NAMA",
        ),
        (("--target", "nope"), "sop: error: --target: 'nope' bukan host inventaris"),
    ],
)
def test_schedule_refuses_bad_input_in_one_line_and_writes_nothing(
    sop_env, tmp_path: Path, args: tuple[str, ...], line: str
) -> None:  # type: ignore[no-untyped-def]
    dest = tmp_path / "cron"
    result = sop_env.sop(
        "backup", "schedule", "--target", "ctl1", "--repository", REPO,
        *args, "--install", "--dest", str(dest),
    )  # fmt: skip
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.startswith(line) and result.stderr.count("\n") == 1
    assert not dest.exists() and _audit(sop_env, "backup.schedule_installed") == []


@SQLITE_ONLY
@pytest.mark.parametrize(
    "args",
    [
        ("report", "1", "--lang", "jv"),
        ("recap", "--semester", "2026-1", "--lang", "jv"),
        ("recap", "--semester", "2026-3"),
        ("overdue", "--at", "kemarin"),
        ("report", "999"),
    ],
)
def test_bad_report_recap_and_overdue_options_are_one_line(sop_env, args) -> None:  # type: ignore[no-untyped-def]
    result = sop_env.sop("backup", *args)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.startswith("sop: error: --") or result.stderr.startswith(
        "sop: error: request: 999"
    )
    assert result.stderr.count("\n") == 1


def test_overdue_expects_what_host_vars_and_group_vars_name(sop_env) -> None:  # type: ignore[no-untyped-def]
    """The inventory is read as Ansible reads it: host_vars/ and group_vars/ count too."""
    inventory = sop_env.root / "inventory"
    (inventory / "host_vars").mkdir()
    (inventory / "host_vars" / "ctl1.yml").write_text("databases: [mariadb/appdb]\n")
    (inventory / "group_vars").mkdir()
    (inventory / "group_vars" / "servers.yml").write_text("backup_paths: [/srv, /etc]\n")
    now = datetime.now(UTC)
    with sop_env.ctx().session() as session:
        session.add(_record("ctl1", "mariadb/appdb", REPO, now - timedelta(days=2), "database"))

    def overdue(at: datetime) -> tuple[int, set[tuple[str, str, str, bool]]]:
        result = sop_env.sop("backup", "overdue", "--json", "--at", at.isoformat())
        assert result.returncode in (0, 1), result.stderr
        late = json.loads(result.stdout)
        return result.returncode, {
            (o["procedure"], o["host"], o["source"], o["last"] is None) for o in late
        }

    never = {("7.1", "ctl1", "/etc,/srv", True), ("7.1", "ctl2", "/etc,/srv", True)}
    assert overdue(now) == (1, never)
    late_db = ("7.2", "ctl1", "mariadb/appdb", False)
    assert overdue(now + timedelta(days=6)) == (1, never | {late_db})
    text = sop_env.sop("backup", "overdue", "--at", (now + timedelta(days=6)).isoformat())
    assert "OVERDUE database (SOP 7.2) ctl1 mariadb/appdb: last good backup " in text.stdout
    assert ", 1 day(s) late" in text.stdout and "never" in text.stdout


def _record(
    host: str, source: str, repository: str, when: datetime, kind: str = "file", ok: bool = True
) -> BackupRecord:
    return BackupRecord(
        taken_at=when,
        kind=kind,
        host=host,
        source=source,
        repository=repository,
        snapshot_id="ab12cd34",
        size_bytes=10,
        status="ok" if ok else "failed",
        details={},
    )


def test_sole_copies_on_names_what_only_that_host_keeps(sop_env) -> None:  # type: ignore[no-untyped-def]
    now = datetime.now(UTC)
    with sop_env.ctx().session() as session:
        session.add_all(
            [
                # srv1's files: only in the backup host's repository -> a sole copy there.
                _record("srv1", "/srv/data", "sftp:root@backup:/srv/restic/srv1", now),
                # srv1's database: also copied to a disk elsewhere -> not a sole copy.
                _record("srv1", "mariadb/appdb", "sftp:root@backup:/srv/restic/srv1", now),
                _record("srv1", "mariadb/appdb", "/mnt/backup/restic", now),
                # srv2's data: the other spellings of a repository on the backup host.
                _record("srv2", "/etc", "sftp:backup:/srv/restic/srv2", now),
                _record("srv2", "/opt", "rest:http://backup/srv2", now),
                _record("srv2", "/var", "rest:https://user@backup:8000/srv2", now),
                # Not on the backup host: a name that only contains it.
                _record("srv2", "/home", "s3:https://s3.backup.example/srv2", now),
                _record("srv3", "/srv", "s3:https://backup2/bucket", now),
                # A failed backup is no copy at all.
                _record("srv3", "/home", "sftp:root@backup:/srv/restic/srv3", now, ok=False),
            ]
        )
    with sop_env.ctx().session() as session:
        assert sole_copies_on(session, "backup") == [
            {"source": "/srv/data", "repository": "sftp:root@backup:/srv/restic/srv1",
             "of_host": "srv1"},
            {"source": "/etc", "repository": "sftp:backup:/srv/restic/srv2", "of_host": "srv2"},
            {"source": "/opt", "repository": "rest:http://backup/srv2", "of_host": "srv2"},
            {"source": "/var", "repository": "rest:https://user@backup:8000/srv2",
             "of_host": "srv2"},
        ]  # fmt: skip
        assert sole_copies_on(session, "backup2") == [
            {"source": "/srv", "repository": "s3:https://backup2/bucket", "of_host": "srv3"}
        ]
        assert sole_copies_on(session, "srv1") == []


def test_report_names_the_records_of_its_request_only(sop_env, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The report's Markdown and HTML hold the request's backups, in both languages."""
    from sop_runner.procedures.backup.recorders import record_file_backups
    from sop_runner.store.models import Request, Run

    with sop_env.ctx().session() as session:
        request = Request(
            procedure_id="7.1", targets=["ctl1"], params={}, reason="uji", requested_by="budi",
            created_at=datetime.now(UTC).isoformat(),
        )  # fmt: skip
        session.add(request)
        session.flush()
        run = Run(
            request_id=request.id, operator="budi", status="succeeded", started_at=datetime.now(UTC)
        )
        session.add(run)
        session.flush()
        result = {
            "snapshot_id": "0123456789abcdef",
            "time": "2026-11-28T03:00:00+00:00",
            "paths": ["/srv/data"],
            "repository": REPO,
            "total_size": 4096,
            "file_types": {"pdf": 2, "csv": 1},
            "file_count": 3,
        }
        assert record_file_backups(session, run.id, {"ctl1": result}) == 1
        request_id = request.id
    for lang, title, when in (
        ("id", "Laporan hasil backup file", "28 November 2026 10.00 WIB"),
        ("en", "File backup result report", "28 November 2026 10:00 WIB"),
    ):
        result = sop_env.sop(
            "backup", "report", str(request_id), "--lang", lang, "--out", str(tmp_path)
        )
        assert result.returncode == 0, result.stderr
        written = {Path(p).suffix: Path(p) for p in result.stdout.split()}
        assert sorted(written) == [".html", ".md", ".pdf"], written
        md, html = written[".md"], written[".html"]
        text = md.read_text()
        assert title in text and "pdf: 2, csv: 1 (3" in text and "`01234567`" in text
        # 03:00 UTC is 10.00 in Slawi: documents show the office's time, in the document's words.
        assert f"| {when} |" in text and "ctl1:/srv/data" in text
        assert html.suffix == ".html" and title in html.read_text()
    (entry,) = _audit(sop_env, "backup.file.ok")
    assert entry["actor"] == "budi" and entry["data"]["snapshot"] == "0123456789abcdef"
    assert os.environ.get("RESTIC_PASSWORD") is None
