"""SOP 2.4 grants: the rules, the target, and the module's planning, without root or a
firewall (store tests and `sop` runs are in tests/component/test_grants.py)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from ansible.module_utils import sop_firewall as fg
from ansible.module_utils.sop_firewall_routeros import ros_duration, ros_seconds
from ansible.module_utils.testing import patch_module_args
from ansible.modules import firewall_grant

from sop_runner.context import Context
from sop_runner.errors import SopError
from sop_runner.procedures.grants import policy
from sop_runner.procedures.grants.models import FirewallGrant
from tests.support.grant_net import UNREACHABLE_FIREWALL, grant_wish
from tests.support.sop import inventory_context


@pytest.mark.parametrize("port", [21, 53, 80, 443, 3306])
def test_the_documents_ports_are_never_granted(port: int) -> None:
    with pytest.raises(SopError, match=rf"--port: {port} tidak pernah dibuka"):
        policy.check_port(port)
    with pytest.raises(fg.GrantError, match=rf"port: {port} is never granted"):
        fg.check_grant({"source": "10.0.0.1", "destination": "10.0.0.2", "port": port}, False)


def test_module_and_sop_refuse_the_same_ports() -> None:
    assert fg.FORBIDDEN_PORTS == policy.FORBIDDEN_PORTS == (21, 53, 80, 443, 3306)


@pytest.mark.parametrize("port", [0, -1, 65536, 70000])
def test_ports_out_of_range(port: int) -> None:
    with pytest.raises(SopError, match="yang diizinkan: 1-65535"):
        policy.check_port(port)


@pytest.mark.parametrize("port", [1, 22, 2222, 5432, 8080, 65535])
def test_ports_allowed(port: int) -> None:
    assert policy.check_port(port) == port


@pytest.mark.parametrize(
    ("text", "expected"),
    [("60m", 3600), ("60", 3600), ("1h30m", 5400), ("4s", 4), ("2h", 7200), ("1m30s", 90)],
)
def test_durations(text: str, expected: int) -> None:
    assert policy.parse_duration(text, "--duration").total_seconds() == expected


@pytest.mark.parametrize("text", ["0", "0m", "0s", "0h0m"])
def test_zero_duration_refused(text: str) -> None:
    with pytest.raises(SopError, match=r"--duration: .* tidak di atas nol"):
        policy.parse_duration(text, "--duration")


@pytest.mark.parametrize("text", ["-5m", "abc", "", "5x", "1.5h", "m"])
def test_malformed_duration_refused(text: str) -> None:
    with pytest.raises(SopError, match=r"--duration: .* bukan durasi"):
        policy.parse_duration(text, "--duration")


def test_maximum_duration_default_and_configurable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(policy.MAX_DURATION_ENV, raising=False)
    assert policy.parse_duration("8h", "--duration") == timedelta(hours=8)
    with pytest.raises(
        SopError, match=r"--duration: '8h1s' lebih lama .*; yang diizinkan: paling lama 8h$"
    ):
        policy.parse_duration("8h1s", "--duration")
    monkeypatch.setenv(policy.MAX_DURATION_ENV, "2h")
    with pytest.raises(SopError, match="paling lama 2h"):
        policy.parse_duration("3h", "--duration")


def test_default_duration_is_the_documents_60_minutes() -> None:
    assert policy.parse_duration(policy.DEFAULT_DURATION, "x") == timedelta(minutes=60)


def test_module_and_sop_keep_the_same_minimum_time_left() -> None:
    assert fg.MIN_LEFT_SECONDS == policy.MIN_LEFT.total_seconds() == 1


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
    assert policy.check_source(text) == expected


@pytest.mark.parametrize("text", ["0.0.0.0/0", "10.0.0.0/8", "example.org", "2001:db8::1"])
def test_bad_sources(text: str) -> None:
    with pytest.raises(SopError, match="--source"):
        policy.check_source(text)


def test_protocols() -> None:
    assert policy.check_protocol("TCP") == "tcp"
    with pytest.raises(
        SopError, match="--protocol: 'icmp' tidak diizinkan; yang diizinkan: tcp, udp"
    ):
        policy.check_protocol("icmp")


def test_start_now_later_and_past() -> None:
    now = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
    assert policy.parse_start("now", now) == now
    later = policy.parse_start("2025-03-01T10:00:00+00:00", now)
    assert later == now + timedelta(hours=1)
    with pytest.raises(SopError, match=r"--start: .* sudah lewat"):
        policy.parse_start("2025-03-01T08:00:00+00:00", now)
    with pytest.raises(SopError, match="--start: 'tomorrow' bukan waktu"):
        policy.parse_start("tomorrow", now)


def _inventory(tmp_path: Path, text: str) -> Path:
    (tmp_path / "hosts.yml").write_text(text)
    return tmp_path


TWO_FIREWALLS = """all:
  children:
    servers: {hosts: {srv1: {ansible_host: 10.77.1.11}}}
    firewalls: {hosts: {gw1: {ansible_host: 10.77.1.254}, gw2: {ansible_host: 10.77.1.253}}}
"""

LAB_LIKE = """all:
  vars: {ansible_user: root}
  children:
    servers: {hosts: {srv1: {ansible_host: 10.77.1.11}, web: {ansible_host: web.example}}}
    firewalls: {hosts: {gw: {ansible_host: 10.77.1.254, firewall_backend: nftables}}}
"""


def test_targets_resolve_to_address_and_firewall(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ctx = inventory_context(tmp_path, _inventory(tmp_path, LAB_LIKE))
    target = policy.resolve_target(ctx, "srv1")
    assert target == policy.Target("srv1", "10.77.1.11", "gw", "nftables")
    with pytest.raises(SopError, match="--target: 'nope' bukan host inventaris"):
        policy.resolve_target(ctx, "nope")
    with pytest.raises(SopError, match="--target: 'web' tidak mempunyai ansible_host IPv4"):
        policy.resolve_target(ctx, "web")
    with pytest.raises(SopError, match="--target: 'gw' adalah firewall itu sendiri"):
        policy.resolve_target(ctx, "gw")


def test_host_vars_inherit_group_vars(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The target and its firewall are read with the inventory's own reader (Ansible's)."""
    inventory = inventory_context(tmp_path, _inventory(tmp_path, LAB_LIKE)).inventory
    assert inventory.host_vars("srv1")["ansible_user"] == "root"
    assert inventory.host_vars("gw")["firewall_backend"] == "nftables"
    assert "gw" in inventory.groups["firewalls"]


def test_the_firewall_comes_from_group_vars_and_host_vars_folders(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """grant_firewall and firewall_backend set in group_vars/ and host_vars/ count, as in
    the playbooks (the feature's own YAML reader saw hosts.yml alone)."""
    inventory = _inventory(tmp_path, TWO_FIREWALLS)
    (inventory / "group_vars").mkdir()
    (inventory / "group_vars" / "servers.yml").write_text("grant_firewall: gw2\n")
    (inventory / "host_vars").mkdir()
    (inventory / "host_vars" / "gw2.yml").write_text("firewall_backend: routeros\n")
    target = policy.resolve_target(inventory_context(tmp_path, inventory), "srv1")
    assert target == policy.Target("srv1", "10.77.1.11", "gw2", "routeros")


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
    assert ros_seconds(text) == pytest.approx(seconds)


def test_routeros_duration_text_round_trips() -> None:
    for ms in (1000, 4500, 3600000, 3723000):
        assert ros_seconds(ros_duration(ms)) == pytest.approx(ms / 1000)


def test_module_documentation_parses() -> None:
    import yaml

    doc = yaml.safe_load(firewall_grant.DOCUMENTATION)
    spec_options = set(doc["options"])
    assert {"backend", "state", "exclusive", "grants", "nft_set", "ros_host"} <= spec_options
    yaml.safe_load(firewall_grant.EXAMPLES)
    yaml.safe_load(firewall_grant.RETURN)


# ------------------------------------------------------------------ fail safe (issue 12)
#
# Bullets of issue 12, each with a test that failed before its fix: ends never rounded
# down, and the module never puts on a grant whose end has come.  The cap and the late
# grants recorded failed need a store: tests/component/test_grants.py.


@pytest.fixture
def grant_ctx(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Context:
    """Given nothing, return a context whose inventory has srv1 behind the firewall gw."""
    monkeypatch.delenv(policy.MAX_DURATION_ENV, raising=False)
    return inventory_context(tmp_path, _inventory(tmp_path, UNREACHABLE_FIREWALL))


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


def test_grant_end_is_a_whole_second_rounded_up(grant_ctx: Context) -> None:
    """An end of 10:00:00.700 used to reach the firewall as 10:00:00 (int of the
    timestamp): the port closed 0.7 s early.  Ends are whole seconds, rounded up, so the
    record and the firewall's end are the same second."""
    now = datetime(2031, 3, 1, 9, 0, 0, 700000, tzinfo=UTC)
    wish = policy.GrantWish("andi", "10.77.2.10", "srv1", 22, "tcp", "now", "60m", "uji")
    _, start, end = policy.validate(grant_ctx, wish, now)
    assert start == now
    assert end == datetime(2031, 3, 1, 10, 0, 1, tzinfo=UTC)
    grant = FirewallGrant(user="andi", source="10.77.2.10", target="srv1", port=22, protocol="tcp")
    fraction = datetime(2031, 3, 1, 10, 0, 0, 700000, tzinfo=UTC)
    assert policy.grant_params(grant, "present", fraction)["grant_ends_at"] >= fraction.timestamp()


# ------------------------------------------------------------------ one way to a request (issue 13)


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("user", "a" * 101, ("--user:", "paling banyak 100 karakter")),
        ("user", "andi\x07", ("--user:",)),
    ],
)
def test_what_the_2_4_parameter_schema_refuses_is_refused_by_open(
    grant_ctx: Context, field: str, value: str, words: tuple[str, ...]
) -> None:
    """`sop grant open` makes its request with new_request, whose parameter schema of 2.4
    refuses a remote user's name over 100 characters or with control characters; the wish
    is held against the same schema before anything is written, naming the option.  (It
    used to be accepted: the request was made beside the schema.)"""
    wish = grant_wish(**{field: value})
    with pytest.raises(SopError) as refused:
        policy.validate(grant_ctx, wish, datetime.now(UTC))
    for word in words:
        assert word in str(refused.value), str(refused.value)


# ------------------------------------------------------------------ the module's own job


def _run_module(capsys: pytest.CaptureFixture[str], **args: Any) -> dict[str, Any]:
    """Given module arguments, run firewall_grant in this process; return its result."""
    with patch_module_args(args), pytest.raises(SystemExit):
        firewall_grant.main()
    return dict(json.loads(capsys.readouterr().out))


def test_routeros_without_librouteros_names_the_library(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Stand-in for "not installed": the flag the backend sets when `import librouteros` fails.
    monkeypatch.setattr(firewall_grant, "HAS_LIBROUTEROS", False)
    monkeypatch.setattr(firewall_grant, "LIBROUTEROS_IMPORT_ERROR", "ImportError: librouteros")
    login = {"ros_host": "127.0.0.1", "ros_username": "sop", "ros_password": "rahasia-uji"}
    result = _run_module(capsys, backend="routeros", **login)
    assert result["failed"] is True
    assert "Failed to import the required Python library (librouteros)" in result["msg"]


def test_routeros_needs_an_address_and_a_login(capsys: pytest.CaptureFixture[str]) -> None:
    result = _run_module(capsys, backend="routeros", ros_host="127.0.0.1")
    assert result["failed"] is True
    assert result["msg"] == (
        "backend is routeros but all of the following are missing: ros_username, ros_password"
    )
