"""Pure helpers of SOP 7.1–7.5: extension counts, dump names, retention, subsets, overdue."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from ansible.module_utils import sop_restic as ru

from sop_runner.errors import SopError
from sop_runner.procedures.backup import compliance, recap, schedules


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


def _deleted_on(today: date, max_age_days: int, *days: date) -> list[str]:
    """Given today and snapshot dates of one source, return the dates retention deletes.

    Each snapshot is at 03:00 UTC of its date; a snapshot of today is the source's
    last, so none of the dated ones is kept only for being the last.
    """
    at = datetime.combine(today, datetime.min.time(), tzinfo=UTC).replace(hour=3)
    snaps = [_snap(d.isoformat(), at.replace(d.year, d.month, d.day)) for d in days]
    snaps.append(_snap("today", at))
    chosen = ru.select_expired(snaps, today, max_age_days, now=at + timedelta(hours=1))
    assert [s["id"] for s in chosen["keep_last"]] == []
    return [s["id"] for s in chosen["delete"]]


@pytest.mark.parametrize(
    ("today", "max_age_days", "cutoff"),
    [
        # 29 February counts back to 28 February in a year without one (keeps more).
        (date(2028, 2, 29), 365, date(2027, 2, 28)),
        (date(2027, 2, 28), 365, date(2026, 2, 28)),
        (date(2027, 3, 1), 365, date(2026, 3, 1)),
        # A year with a 29 February in it is 366 days long, still one year.
        (date(2024, 3, 1), 365, date(2023, 3, 1)),
        (date(2028, 2, 29), 4 * 365, date(2024, 2, 29)),
        (date(2028, 2, 29), 730, date(2026, 2, 28)),
        # Days beyond whole years are counted back from the same date `years` ago.
        (date(2026, 6, 15), 400, date(2025, 5, 11)),
        (date(2026, 1, 10), 365 + 10, date(2024, 12, 31)),
    ],
)
def test_retention_cutoff_is_the_same_date_years_ago(
    today: date, max_age_days: int, cutoff: date
) -> None:
    assert ru.retention_cutoff(today, max_age_days) == cutoff


def test_retention_year_is_a_calendar_year_not_365_days() -> None:
    # 365 days before 29 Feb 2028 is 1 Mar 2027: counting days deleted 28 Feb 2027,
    # which is exactly one calendar year old and must stay.
    assert _deleted_on(date(2028, 2, 29), 365, date(2027, 2, 28), date(2027, 2, 27)) == [
        "2027-02-27"
    ]
    # Across a 29 February: 1 Mar 2023 is one year before 1 Mar 2024, not older.
    assert _deleted_on(date(2024, 3, 1), 365, date(2023, 3, 1), date(2023, 2, 28)) == ["2023-02-28"]
    assert _deleted_on(date(2027, 2, 28), 365, date(2026, 2, 28), date(2026, 2, 27)) == [
        "2026-02-27"
    ]
    assert _deleted_on(date(2027, 3, 1), 365, date(2026, 3, 1), date(2026, 2, 28)) == ["2026-02-28"]


def test_retention_of_a_snapshot_dated_29_february() -> None:
    leap = date(2024, 2, 29)
    assert _deleted_on(date(2025, 2, 28), 365, leap) == []  # cutoff 28 Feb 2024
    assert _deleted_on(date(2025, 3, 1), 365, leap) == ["2024-02-29"]  # cutoff 1 Mar 2024
    assert _deleted_on(date(2028, 2, 29), 4 * 365, leap) == []  # exactly four years
    assert _deleted_on(date(2028, 3, 1), 4 * 365, leap) == ["2024-02-29"]


def test_retention_date_is_the_snapshots_own_calendar_date() -> None:
    # 00:30 on the cutoff date in Jakarta is the evening before in UTC: still the cutoff
    # date as the snapshot (and the petugas) sees it, so it stays.
    today = date(2026, 11, 28)
    at = datetime(2026, 11, 28, 3, tzinfo=UTC)
    local = {"id": "wib", "time": "2025-11-28T00:30:00+07:00", "paths": ["/srv/a"]}
    snaps = [{**local, "hostname": "srv1", "tags": []}, _snap("new", at)]
    chosen = ru.select_expired(snaps, today, 365, now=at + timedelta(hours=1))
    assert (chosen["delete"], chosen["keep_last"]) == ([], [])


@pytest.mark.parametrize("days", [0, 1, 364, -365])
def test_retention_refuses_less_than_a_year(days: int) -> None:
    with pytest.raises(ValueError, match="max_age_days"):
        ru.retention_cutoff(date(2026, 11, 28), days)


def test_retention_only_sees_the_snapshots_of_its_host() -> None:
    today = date(2026, 11, 28)
    at = datetime(2026, 11, 28, 3, tzinfo=UTC)
    snaps = [
        _snap("srv1-old", at - timedelta(days=800)),
        _snap("srv1-new", at),
        _snap("srv2-old", at - timedelta(days=800), host="srv2"),
        _snap("srv2-new", at, host="srv2"),
    ]
    mine = ru.snapshots_of_host(snaps, "srv1")
    assert [s["id"] for s in mine] == ["srv1-old", "srv1-new"]
    chosen = ru.select_expired(mine, today, 365, now=at + timedelta(hours=1))
    assert [s["id"] for s in chosen["delete"]] == ["srv1-old"]
    with pytest.raises(ValueError, match="host"):
        ru.snapshots_of_host(snaps, "")


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
    late = compliance.overdue(
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
    assert compliance.expected_sources(hosts) == {
        ("database", "srv1", "mariadb/appdb"),
        ("database", "srv1", "postgresql/appdb"),
        ("file", "srv1", "/a,/b"),
    }


def test_semester_bounds_and_bad_input() -> None:
    start, end = recap.semester_bounds("2026-2")
    assert (start.month, end.year, end.month) == (7, 2027, 1)
    with pytest.raises(SopError, match="--semester"):
        recap.semester_bounds("2026-3")


def test_schedule_meets_the_minimums_and_carries_no_secret() -> None:
    entries = schedules.schedule_entries(
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
    units = schedules.systemd_units(entries)
    assert "OnCalendar=Sun *-*-* 01:30:00" in units["sop-backup-database.timer"]


def test_today_option_is_a_date_or_empty() -> None:
    assert ru.parse_today("2026-02-28") == date(2026, 2, 28)
    assert ru.parse_today(None) == date.today() and ru.parse_today("") == date.today()
    with pytest.raises(ValueError, match=r"^today: '28-02-2026' is not a date \(YYYY-MM-DD\)$"):
        ru.parse_today("28-02-2026")


def test_pipe_reports_each_side_and_the_data_flows_through() -> None:
    piped = ru.run_piped(
        ["sh", "-c", "printf 'a\\nb\\n'; echo dump-warning >&2"],
        ["sh", "-c", "wc -l; echo load-note >&2; exit 4"],
    )
    assert (piped.first_rc, piped.first_text) == (0, "dump-warning\n")
    assert piped.second_rc == 4 and piped.second_text.split() == ["2", "load-note"]
    # The consumer dies first: the producer is stopped by the closed pipe, not left hanging.
    piped = ru.run_piped(["yes"], ["sh", "-c", "head -c 10 >/dev/null; exit 1"])
    assert piped.second_rc == 1 and piped.first_rc != 0


def test_restore_roots_and_occupied_destinations(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from ansible.module_utils import sop_restore

    assert sop_restore.within("/srv/data/a.txt", ["/srv/data"])
    assert sop_restore.within("/srv/data", ["/srv/data"])
    assert not sop_restore.within("/srv/database", ["/srv/data"])
    empty, full = tmp_path / "empty", tmp_path / "full"
    empty.mkdir()
    full.mkdir()
    (full / "x").write_text("x")
    assert not sop_restore.occupied(str(empty)) and not sop_restore.occupied(str(tmp_path / "no"))
    assert sop_restore.occupied(str(full)) and sop_restore.occupied(str(full / "x"))
    (tmp_path / "link").symlink_to(empty)
    assert sop_restore.occupied(str(tmp_path / "link"))  # a link is something to overwrite


def test_retention_deletes_file_backups_only_unless_dumps_have_a_policy() -> None:
    """SOP 7.5 is the deletion of *file* backups (issue 16): an old database dump (7.2)
    stays unless a policy of its own, itself at least a year, is given."""
    today = date(2026, 11, 28)
    at = datetime(2026, 11, 28, 3, tzinfo=UTC)
    dump = ["kind=database", "source=mariadb/appdb"]
    snaps = [
        _snap("f14", at - timedelta(days=426)),
        _snap("f1", at - timedelta(days=1)),
        _snap("d14", at - timedelta(days=426), path="/m-14.sql", tags=dump),
        _snap("d1", at - timedelta(days=1), path="/m-1.sql", tags=dump),
    ]
    files_only = ru.select_retention(snaps, today, 365, now=at)
    assert [s["id"] for s in files_only["delete"]] == ["f14"]
    assert [s["id"] for s in files_only["out_of_scope"]] == ["d14", "d1"]
    with_policy = ru.select_retention(snaps, today, 365, database_max_age_days=400, now=at)
    assert [s["id"] for s in with_policy["delete"]] == ["d14", "f14"]
    assert with_policy["out_of_scope"] == []
    with pytest.raises(ValueError, match="less than a year"):
        ru.select_retention(snaps, today, 365, database_max_age_days=90, now=at)
