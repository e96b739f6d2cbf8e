"""Pure helpers of SOP 7.1–7.5: extension counts, dump names, retention, subsets, overdue."""

from __future__ import annotations

import sys
from datetime import UTC, date, datetime, timedelta

import pytest

from sop_runner.config import REPO_ROOT
from sop_runner.errors import SopError
from sop_runner.procedures import backup

sys.path.insert(0, str(REPO_ROOT / "plugins" / "module_utils"))
import restic as ru


def test_extensions_are_counted_case_insensitively_with_compound_archives() -> None:
    names = [
        "/a/x.PDF",
        "/a/y.pdf",
        "/a/README",
        "/a/.bashrc",
        "/a/db.sql.gz",
        "/a/t.tar.gz",
        "/a/v1.2.txt",
    ]
    assert ru.count_extensions(names) == {"pdf": 2, "(none)": 2, "sql.gz": 1, "tar.gz": 1, "txt": 1}


def test_dump_file_name_carries_date_and_time() -> None:
    when = datetime(2026, 5, 10, 3, 15, 0, tzinfo=UTC)
    assert ru.dump_filename("mariadb", "appdb", when) == "mariadb-appdb-20260510-031500.sql"
    assert ru.dump_filename("postgresql", "a b/c", when) == "postgresql-a_b_c-20260510-031500.dump"
    assert ru.time_from_filename("mariadb-appdb-20260510-031500.sql") == datetime(
        2026, 5, 10, 3, 15
    )
    with pytest.raises(ValueError):
        ru.dump_filename("oracle", "x", when)


def _snap(
    sid: str,
    when: datetime,
    path: str = "/srv/a",
    host: str = "srv1",
    tags: list[str] | None = None,
) -> dict:
    return {
        "id": sid,
        "time": when.strftime("%Y-%m-%dT%H:%M:%S.123456789Z"),
        "paths": [path],
        "hostname": host,
        "tags": tags or [],
    }


def test_retention_counts_from_today_and_never_takes_a_last() -> None:
    today = date(2026, 11, 28)
    at = datetime(2026, 11, 28, 3, tzinfo=UTC)
    snaps = [
        _snap("a13", at - timedelta(days=396)),
        _snap("a11", at - timedelta(days=335)),
        _snap("afut", at + timedelta(days=30)),
        _snap("b14", at - timedelta(days=426), path="/srv/b"),
        _snap("c14", at - timedelta(days=426), path="/srv/c"),
        _snap("cfut", at + timedelta(days=400), path="/srv/c"),
    ]
    chosen = ru.select_expired(snaps, today, 365, now=at)
    assert [s["id"] for s in chosen["delete"]] == ["a13"]
    # b's only snapshot and c's only real one stay; a future date decides nothing.
    assert [s["id"] for s in chosen["keep_last"]] == ["b14", "c14"]
    assert [s["id"] for s in chosen["future"]] == ["afut", "cfut"]


def test_retention_keeps_the_boundary_day_and_groups_by_source_tag() -> None:
    today = date(2026, 11, 28)
    at = datetime(2026, 11, 28, 12, tzinfo=UTC)
    tag = ["kind=database", "source=mariadb/appdb"]
    snaps = [
        _snap("old", datetime(2025, 11, 27, 23, tzinfo=UTC), path="/x.sql", tags=tag),
        _snap("edge", datetime(2025, 11, 28, 0, 30, tzinfo=UTC), path="/y.sql", tags=tag),
        _snap("new", at - timedelta(days=1), path="/z.sql", tags=tag),
    ]
    chosen = ru.select_expired(snaps, today, 365, now=at)
    assert [s["id"] for s in chosen["delete"]] == ["old"]


def test_check_subset_rotates_over_a_year() -> None:
    weeks = {ru.check_subset(date(2026, 1, 1) + timedelta(days=7 * i)) for i in range(53)}
    assert {f"{n}/52" for n in range(1, 53)} <= weeks
    assert ru.check_subset(date(2026, 3, 5), "month") == "3/12"


def test_table_tags_round_trip_names_with_commas() -> None:
    tag = ru.table_tag("public.a,b c", 300, "ab12")
    assert "," not in tag and " " not in tag
    assert ru.tables_from_tags([tag, "sop"]) == {"public.a,b c": {"rows": 300, "checksum": "ab12"}}
    rows = ru.compare_tables(
        {"t": {"rows": 1, "checksum": "x"}}, {"t": {"rows": 1, "checksum": "y"}}
    )
    assert rows[0]["ok"] is False


def test_restic_times_with_nanoseconds_and_offsets_parse() -> None:
    assert ru.parse_time("2026-11-28T20:28:41.131581488Z") == datetime(
        2026, 11, 28, 20, 28, 41, 131581, tzinfo=UTC
    )
    assert ru.parse_time("2026-11-28T20:28:41+07:00").utcoffset() == timedelta(hours=7)


def test_overdue_against_the_minimums() -> None:
    now = datetime(2026, 11, 28, 12, tzinfo=UTC)
    late = backup.overdue(
        {
            ("database", "srv1", "mariadb/appdb"): now - timedelta(days=8),
            ("database", "srv1", "postgresql/appdb"): now - timedelta(days=6),
            ("file", "srv1", "/srv/data"): now - timedelta(days=30),
            ("file", "srv2", "/etc"): now - timedelta(days=40),
            ("database", "srv2", "mariadb/x"): None,
        },
        now,
    )
    assert [(o.host, o.source, o.days_late) for o in late] == [
        ("srv1", "mariadb/appdb", 1),
        ("srv2", "mariadb/x", None),
        ("srv2", "/etc", 9),
    ]


def test_expected_sources_from_inventory() -> None:
    hosts = {
        "srv1": {
            "databases": [{"engine": "mariadb", "name": "appdb"}, "postgresql/appdb"],
            "backup_paths": ["/b", "/a"],
        },
        "gw": {},
    }
    assert backup.expected_sources(hosts) == {
        ("database", "srv1", "mariadb/appdb"),
        ("database", "srv1", "postgresql/appdb"),
        ("file", "srv1", "/a,/b"),
    }


def test_semester_bounds_and_bad_input() -> None:
    start, end = backup.semester_bounds("2026-2")
    assert (start.month, end.year, end.month) == (7, 2027, 1)
    with pytest.raises(SopError, match="--semester"):
        backup.semester_bounds("2026-3")


def test_schedule_meets_the_minimums_and_carries_no_secret() -> None:
    entries = backup.schedule_entries(
        "srv1",
        "sftp:root@backup:/srv/restic/srv1",
        ["/srv/data"],
        ["mariadb/appdb"],
        operator="budi",
    )
    assert entries["database"].startswith("30 1 * * 0 root ")  # weekly
    assert entries["file"].startswith("30 2 1 * * root ")  # monthly
    assert entries["retention"].startswith("30 3 2 1 * root ")  # yearly
    assert "request 7.2" in entries["database"] and "--as budi" in entries["database"]
    assert all("PASSWORD" not in e for e in entries.values())
    units = backup.systemd_units(entries)
    assert "OnCalendar=Sun *-*-* 01:30:00" in units["sop-backup-database.timer"]
