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
from sop_runner.procedures import grants


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
    monkeypatch.delenv(grants.MAX_DURATION_ENV, raising=False)
    grants.check_duration(timedelta(hours=8), "--duration")
    with pytest.raises(SopError, match="over the maximum; allowed: up to 8h"):
        grants.check_duration(timedelta(hours=8, seconds=1), "--duration")
    monkeypatch.setenv(grants.MAX_DURATION_ENV, "2h")
    with pytest.raises(SopError, match="up to 2h"):
        grants.check_duration(timedelta(hours=3), "--duration")


def test_default_duration_is_the_documents_60_minutes() -> None:
    assert grants.parse_duration(grants.DEFAULT_DURATION, "x") == timedelta(minutes=60)


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
    add, update, remove = fg.plan({}, {K1: now + 60}, "present", False, 5, now)
    assert (add, update, remove) == ([(K1, 60000)], [], [])
    add, update, remove = fg.plan({K1: 57.0}, {K1: now + 60}, "present", False, 5, now)
    assert (add, update, remove) == ([], [], [])


def test_plan_updates_when_end_moves_beyond_tolerance() -> None:
    now = 1000.0
    add, update, remove = fg.plan({K1: 60.0}, {K1: now + 1860}, "present", False, 5, now)
    assert update == [(K1, 1860000)] and not add and not remove


def test_plan_treats_past_end_as_absent() -> None:
    now = 1000.0
    assert fg.plan({K1: 3.0}, {K1: now - 1}, "present", False, 5, now) == ([], [], [K1])


def test_plan_exclusive_removes_unrecorded() -> None:
    now = 1000.0
    add, update, remove = fg.plan({K1: 50.0, K2: 3600.0}, {K1: now + 50}, "present", True, 5, now)
    assert remove == [K2] and not add and not update


def test_plan_absent_and_query() -> None:
    assert fg.plan({K1: 50.0}, {K1: None, K2: None}, "absent", False, 5, 0) == ([], [], [K1])
    assert fg.plan({K1: 50.0}, {}, "query", True, 5, 0) == ([], [], [])


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
