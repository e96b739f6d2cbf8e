"""SOP 2.4 grants: validation and the module's planning, without root or a firewall."""

from __future__ import annotations

import importlib.util
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType

import pytest

from sop_runner.config import REPO_ROOT
from sop_runner.errors import SopError
from sop_runner.procedures import grant_policy, grants


def _module() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "firewall_grant", REPO_ROOT / "library" / "firewall_grant.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["firewall_grant"] = module
    spec.loader.exec_module(module)
    return module


fg = _module()


@pytest.mark.parametrize("port", [21, 53, 80, 443, 3306])
def test_the_documents_ports_are_never_granted(port: int) -> None:
    with pytest.raises(SopError, match=rf"--port: {port} is never granted"):
        grants.check_port(port)
    with pytest.raises(fg.GrantError, match=rf"port: {port} is never granted"):
        fg.check_grant({"source": "10.0.0.1", "destination": "10.0.0.2", "port": port}, False)


def test_module_and_sop_refuse_the_same_ports() -> None:
    assert fg.FORBIDDEN_PORTS == grants.FORBIDDEN_PORTS == (21, 53, 80, 443, 3306)


@pytest.mark.parametrize("port", [0, -1, 65536, 70000])
def test_ports_out_of_range(port: int) -> None:
    with pytest.raises(SopError, match="allowed: 1-65535"):
        grants.check_port(port)


@pytest.mark.parametrize("port", [1, 22, 2222, 5432, 8080, 65535])
def test_ports_allowed(port: int) -> None:
    assert grants.check_port(port) == port


@pytest.mark.parametrize(
    ("text", "expected"),
    [("60m", 3600), ("60", 3600), ("1h30m", 5400), ("4s", 4), ("2h", 7200), ("1m30s", 90)],
)
def test_durations(text: str, expected: int) -> None:
    assert grants.parse_duration(text, "--duration").total_seconds() == expected


@pytest.mark.parametrize("text", ["0", "0m", "0s", "0h0m"])
def test_zero_duration_refused(text: str) -> None:
    with pytest.raises(SopError, match=r"--duration: .* is not above zero"):
        grants.parse_duration(text, "--duration")


@pytest.mark.parametrize("text", ["-5m", "abc", "", "5x", "1.5h", "m"])
def test_malformed_duration_refused(text: str) -> None:
    with pytest.raises(SopError, match=r"--duration: .* is not a duration"):
        grants.parse_duration(text, "--duration")


def test_maximum_duration_default_and_configurable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(grant_policy.MAX_DURATION_ENV, raising=False)
    assert grants.parse_duration("8h", "--duration") == timedelta(hours=8)
    with pytest.raises(SopError, match=r"--duration: '8h1s' is longer .*; allowed: up to 8h$"):
        grants.parse_duration("8h1s", "--duration")
    monkeypatch.setenv(grant_policy.MAX_DURATION_ENV, "2h")
    with pytest.raises(SopError, match="up to 2h"):
        grants.parse_duration("3h", "--duration")


def test_default_duration_is_the_documents_60_minutes() -> None:
    assert grants.parse_duration(grants.DEFAULT_DURATION, "x") == timedelta(minutes=60)


def test_module_and_sop_keep_the_same_minimum_time_left() -> None:
    assert fg.MIN_LEFT_SECONDS == grant_policy.MIN_LEFT.total_seconds() == 1


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("10.77.2.10", "10.77.2.10"),
        ("10.77.2.10/32", "10.77.2.10"),
        ("10.77.2.0/24", "10.77.2.0/24"),
        ("10.77.2.5/24", "10.77.2.0/24"),
    ],
)
def test_sources(text: str, expected: str) -> None:
    assert grants.check_source(text) == expected


@pytest.mark.parametrize("text", ["0.0.0.0/0", "10.0.0.0/8", "example.org", "2001:db8::1"])
def test_bad_sources(text: str) -> None:
    with pytest.raises(SopError, match="--source"):
        grants.check_source(text)


def test_protocols() -> None:
    assert grants.check_protocol("TCP") == "tcp"
    with pytest.raises(SopError, match="--protocol: 'icmp' is not allowed; allowed: tcp, udp"):
        grants.check_protocol("icmp")


def test_start_now_later_and_past() -> None:
    now = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
    assert grants.parse_start("now", now) == now
    later = grants.parse_start("2025-03-01T10:00:00+00:00", now)
    assert later == now + timedelta(hours=1)
    with pytest.raises(SopError, match=r"--start: .* is in the past"):
        grants.parse_start("2025-03-01T08:00:00+00:00", now)
    with pytest.raises(SopError, match="--start: 'tomorrow' is not a time"):
        grants.parse_start("tomorrow", now)


def _inventory(tmp_path: Path, text: str) -> Path:
    (tmp_path / "hosts.yml").write_text(text)
    return tmp_path


LAB_LIKE = """all:
  vars: {ansible_user: root}
  children:
    servers:
      hosts:
        srv1: {ansible_host: 10.77.1.11}
        web: {ansible_host: web.example}
    firewalls:
      hosts:
        gw: {ansible_host: 10.77.1.254, firewall_backend: nftables}
"""


def test_targets_resolve_to_address_and_firewall(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOP_INVENTORY", str(_inventory(tmp_path, LAB_LIKE)))
    from sop_runner.context import Context

    ctx = Context()
    target = grants.resolve_target(ctx, "srv1")
    assert target == grants.Target("srv1", "10.77.1.11", "gw", "nftables")
    with pytest.raises(SopError, match="--target: 'nope' is not a host of the inventory"):
        grants.resolve_target(ctx, "nope")
    with pytest.raises(SopError, match="--target: 'web' has no IPv4 ansible_host"):
        grants.resolve_target(ctx, "web")
    with pytest.raises(SopError, match="--target: 'gw' is the firewall itself"):
        grants.resolve_target(ctx, "gw")


def test_host_vars_inherit_group_vars(tmp_path: Path) -> None:
    hv = grants.host_vars(_inventory(tmp_path, LAB_LIKE) / "hosts.yml")
    assert hv["srv1"]["ansible_user"] == "root"
    assert hv["gw"]["firewall_backend"] == "nftables"
    assert "firewalls" in hv["gw"]["_groups"]


# ------------------------------------------------------------------ the module's plan

K1 = ("10.0.0.1", "10.0.1.1", "*", 22)
K2 = ("10.0.0.2", "10.0.1.1", "*", 2222)


def test_plan_adds_missing_and_leaves_matching_alone() -> None:
    now = 1000.0
    assert fg.plan({}, {K1: now + 60}, "present", False, 5, now) == ([(K1, 60000)], [], [], [])
    assert fg.plan({K1: 57.0}, {K1: now + 60}, "present", False, 5, now) == ([], [], [], [])


def test_plan_updates_when_end_moves_beyond_tolerance() -> None:
    now = 1000.0
    add, update, remove, ended = fg.plan({K1: 60.0}, {K1: now + 1860}, "present", False, 5, now)
    assert update == [(K1, 1860000)] and not add and not remove and not ended


def test_plan_treats_past_end_as_absent() -> None:
    now = 1000.0
    assert fg.plan({K1: 3.0}, {K1: now - 1}, "present", False, 5, now) == ([], [], [K1], [K1])


def test_plan_exclusive_removes_unrecorded() -> None:
    now = 1000.0
    add, update, remove, ended = fg.plan(
        {K1: 50.0, K2: 3600.0}, {K1: now + 50}, "present", True, 5, now
    )
    assert remove == [K2] and not add and not update and not ended


def test_plan_absent_and_query() -> None:
    assert fg.plan({K1: 50.0}, {K1: None, K2: None}, "absent", False, 5, 0) == ([], [], [K1], [])
    assert fg.plan({K1: 50.0}, {}, "query", True, 5, 0) == ([], [], [], [])


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("1h2m3s", 3723),
        ("59m58s", 3598),
        ("00:59:58", 3598),
        ("1d02:00:00", 93600),
        ("4s500ms", 4.5),
        ("1w", 604800),
    ],
)
def test_routeros_durations(text: str, seconds: float) -> None:
    assert fg.ros_seconds(text) == pytest.approx(seconds)


def test_routeros_duration_text_round_trips() -> None:
    for ms in (1000, 4500, 3600000, 3723000):
        assert fg.ros_seconds(fg.ros_duration(ms)) == pytest.approx(ms / 1000)


def test_module_documentation_parses() -> None:
    import yaml

    doc = yaml.safe_load(fg.DOCUMENTATION)
    spec_options = set(doc["options"])
    assert {"backend", "state", "exclusive", "grants", "nft_set", "ros_host"} <= spec_options
    yaml.safe_load(fg.EXAMPLES)
    yaml.safe_load(fg.RETURN)


# ------------------------------------------------------------------ fail safe (issue 12)
#
# Bullets of the issue, each with a test that failed before the fix: a total cap counted
# from the grant's start (extensions included); a grant whose end comes before it reaches
# the firewall is recorded as failed and the firewall is not touched; ends never rounded
# down; huge numbers refused with one line.

UNIT_INVENTORY = """all:
  children:
    servers:
      hosts:
        srv1: {ansible_host: 10.77.1.11}
    firewalls:
      hosts:
        # Reachable by no one: a playbook started by mistake fails at once, touches nothing.
        gw:
          ansible_host: 10.77.1.254
          ansible_connection: local
          ansible_python_interpreter: /nonexistent/python3
          firewall_backend: nftables
"""


@pytest.fixture
def grant_env(sop_env, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """Given an isolated sop installation, point it at an inventory with a firewall."""
    inventory = tmp_path / "grant-inventory"
    inventory.mkdir()
    (inventory / "hosts.yml").write_text(UNIT_INVENTORY)
    (inventory / "services.yml").write_text("services: []\n")
    monkeypatch.setenv("SOP_INVENTORY", str(inventory))
    monkeypatch.delenv(grant_policy.MAX_DURATION_ENV, raising=False)
    return sop_env


def _insert(ctx, status: str, starts_at: datetime, ends_at: datetime) -> int:  # type: ignore[no-untyped-def]
    """Given a context, record a grant as if sop had opened (or scheduled) it; return its id."""
    with ctx.session() as session:
        grant = grants.FirewallGrant(
            user="andi",
            source="10.77.2.10",
            target="srv1",
            destination="10.77.1.11",
            port=22,
            protocol="tcp",
            firewall="gw",
            backend="nftables",
            reason="uji",
            petugas="budi",
            status=status,
            created_at=starts_at,
            starts_at=starts_at,
            ends_at=ends_at,
            opened_at=starts_at if status == "open" else None,
            extensions=0,
        )
        session.add(grant)
        session.flush()
        return int(grant.id)


def _written(ctx) -> tuple[int, int, int]:  # type: ignore[no-untyped-def]
    from sqlalchemy import func, select

    from sop_runner.store.models import AuditEntry, Request

    with ctx.session() as session:
        return (
            session.scalar(select(func.count()).select_from(AuditEntry)) or 0,
            session.scalar(select(func.count()).select_from(Request)) or 0,
            session.scalar(select(func.count()).select_from(grants.GrantEvent)) or 0,
        )


def test_extending_an_open_grant_never_passes_the_cap_counted_from_its_start(grant_env) -> None:  # type: ignore[no-untyped-def]
    """Repeated small extensions used to keep a grant open past 8 h: each was measured
    from 'now'.  The cap holds for the grant's whole life from its start."""
    ctx = grant_env.ctx()
    now = datetime.now(UTC)
    gid = _insert(ctx, "open", now - timedelta(hours=7, minutes=50), now + timedelta(minutes=5))
    before = _written(ctx)
    with pytest.raises(SopError, match=r"--by: .*8h in total from its start") as refused:
        grants.extend_grant(ctx, gid, "30m", "budi")
    assert "\n" not in str(refused.value)
    assert "grants open" in str(refused.value) or "new grant" in str(refused.value)
    assert _written(ctx) == before, "a refused extension wrote something"


def test_a_scheduled_grant_is_capped_from_its_scheduled_start(grant_env) -> None:  # type: ignore[no-untyped-def]
    ctx = grant_env.ctx()
    start = (datetime.now(UTC) + timedelta(hours=1)).replace(microsecond=0)
    gid = _insert(ctx, "scheduled", start, start + timedelta(hours=7))
    assert grants.extend_grant(ctx, gid, "1h", "budi").extensions == 1  # exactly 8 h: allowed
    with pytest.raises(SopError, match="in total from its start"):
        grants.extend_grant(ctx, gid, "1s", "budi")


def test_a_grant_whose_end_came_before_the_firewall_is_failed_and_the_firewall_untouched(
    grant_env,  # type: ignore[no-untyped-def]
) -> None:
    """Its end was past when sop was about to change the firewall: no request, no playbook,
    status failed with the reason, instead of 'open ... 0s left'."""
    ctx = grant_env.ctx()
    start = (datetime.now(UTC) - timedelta(seconds=30)).isoformat()
    wish = grants.GrantWish("andi", "10.77.2.10", "srv1", 22, "tcp", start, "20s", "uji")
    with pytest.raises(grants.GrantFailed, match="came before it reached the firewall") as failed:
        grants.open_grant(ctx, wish, "budi")
    assert "\n" not in str(failed.value)
    from sqlalchemy import select

    from sop_runner.store.models import Request

    with ctx.session() as session:
        grant = session.scalars(select(grants.FirewallGrant)).one()
        assert grant.status == "failed" and grant.request_id is None
        assert session.scalars(select(Request)).all() == [], "a request for the firewall was made"
        events = session.scalars(select(grants.GrantEvent).order_by(grants.GrantEvent.id)).all()
        assert [e.event for e in events] == ["requested", "failed"]
        assert "came before it reached the firewall" in events[1].detail["error"]


def test_a_scheduled_grant_whose_end_passed_unopened_is_recorded_failed(grant_env) -> None:  # type: ignore[no-untyped-def]
    """It never reached the firewall (reconcile did not run in its window): failed, not
    'scheduled' for ever and not 'opened' later."""
    ctx = grant_env.ctx()
    now = datetime.now(UTC)
    gid = _insert(ctx, "scheduled", now - timedelta(minutes=10), now - timedelta(minutes=5))
    with ctx.session() as session:
        grants.settle_expired(session, now)
    with ctx.session() as session:
        grant = session.get(grants.FirewallGrant, gid)
        assert grant is not None and grant.status == "failed"
        assert grant.opened_at is None


def test_plan_does_not_put_a_grant_on_the_firewall_once_its_end_has_come() -> None:
    """The module measures the time left when it changes the firewall; a grant with less
    than the minimum left is reported as ended and not added."""
    now = 1000.0
    for end in (now - 1, now, now + 0.5):
        add, update, remove, ended = fg.plan({}, {K1: end}, "present", False, 5, now)
        assert (add, update, remove, ended) == ([], [], [], [K1]), end
    # reconciliation (exclusive) removes a past one it finds, and reports it ended
    assert fg.plan({K1: 3.0}, {K1: now - 1}, "present", True, 5, now) == ([], [], [K1], [K1])


def test_plan_rounds_the_timeout_up_never_down() -> None:
    # 1060.3 - 1000.1 is 60.19999999999993 in floating point: truncating gave 60199 ms,
    # a port that closed a millisecond before the end.
    add, _, _, _ = fg.plan({}, {K1: 1060.3}, "present", False, 5, 1000.1)
    assert add == [(K1, 60200)]


def test_grant_end_is_a_whole_second_rounded_up(grant_env) -> None:  # type: ignore[no-untyped-def]
    """An end of 10:00:00.700 used to reach the firewall as 10:00:00 (int of the
    timestamp): the port closed 0.7 s early.  Ends are whole seconds, rounded up, so the
    record and the firewall's end are the same second."""
    ctx = grant_env.ctx()
    now = datetime(2031, 3, 1, 9, 0, 0, 700000, tzinfo=UTC)
    wish = grants.GrantWish("andi", "10.77.2.10", "srv1", 22, "tcp", "now", "60m", "uji")
    _, start, end = grants.validate(ctx, wish, now)
    assert start == now
    assert end == datetime(2031, 3, 1, 10, 0, 1, tzinfo=UTC)
    grant = grants.FirewallGrant(
        user="andi", source="10.77.2.10", target="srv1", port=22, protocol="tcp"
    )
    fraction = datetime(2031, 3, 1, 10, 0, 0, 700000, tzinfo=UTC)
    assert grants.grant_params(grant, "present", fraction)["grant_ends_at"] >= fraction.timestamp()


HUGE = "99999999999999999999h"


@pytest.mark.parametrize(
    ("args", "environ", "words"),
    [
        (["open", "--duration", HUGE], {}, ("--duration", "allowed: up to 8h")),
        (["open", "--duration", "99999999999999999999"], {}, ("--duration", "up to 8h")),
        (["open", "--start", "9999-12-31T23:00:00+00:00"], {}, ("--start",)),
        (["open", "--start", "0001-01-01T00:00:00+07:00"], {}, ("--start",)),
        (["open"], {grant_policy.MAX_DURATION_ENV: HUGE}, (grant_policy.MAX_DURATION_ENV,)),
        (["extend", "1", "--by", HUGE], {}, ("--by", "allowed: up to 8h")),
        (["extend", "99999999999999999999999", "--by", "1m"], {}, ("grant",)),
        (["revoke", "99999999999999999999999", "--reason", "x"], {}, ("grant",)),
    ],
)
def test_huge_numbers_are_one_clear_line(grant_env, monkeypatch, args, environ, words) -> None:  # type: ignore[no-untyped-def]
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    if args[0] == "open":
        base = {
            "--user": "andi",
            "--source": "10.77.2.10",
            "--target": "srv1",
            "--port": "22",
            "--reason": "uji",
        }
        for i in range(1, len(args), 2):
            base[args[i]] = args[i + 1]
        args = ["open", *[x for pair in base.items() for x in pair]]
    before = _written(grant_env.ctx())
    result = grant_env.sop("grant", *args, operator="budi")
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    for word in words:
        assert word in lines[0], lines[0]
    assert _written(grant_env.ctx()) == before
