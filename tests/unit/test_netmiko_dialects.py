"""The netmiko driver's text work: sections, merge commands, restore commands, refusals.

The real device behind these (FRR's vtysh through netmiko) is exercised in
tests/integration/test_config.py; here the same functions meet the cases that
are awkward to stage on the lab router.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_ROOT / "plugins" / "module_utils"))
import sop_netmiko  # noqa: E402
import sop_netwatch  # noqa: E402

IOS = sop_netmiko.DIALECTS["cisco_ios"]
ROS = sop_netmiko.DIALECTS["mikrotik_routeros"]

FRR_RUNNING = """\
Building configuration...

Current configuration:
!
frr version 8.4.4
hostname rtr1
!
ip route 10.77.2.0/24 10.77.3.2
!
interface eth1
 description transit to gw
exit
!
end
"""


def test_sections_keep_children_under_their_parent_and_drop_noise() -> None:
    assert sop_netmiko.sections(FRR_RUNNING, IOS) == [
        ("frr version 8.4.4", []),
        ("hostname rtr1", []),
        ("ip route 10.77.2.0/24 10.77.3.2", []),
        ("interface eth1", ["description transit to gw"]),
    ]


def test_merge_sends_only_what_is_missing_section_by_section() -> None:
    candidate = (
        "hostname rtr1\n"
        "ip route 10.77.200.0/24 Null0\n"
        "interface eth1\n description transit to gw\n shutdown\nexit\n"
        "interface eth2\n description new\n"
    )
    assert sop_netmiko.merge_commands(FRR_RUNNING, candidate, IOS) == [
        "ip route 10.77.200.0/24 Null0",
        "interface eth1",
        " shutdown",
        "exit",
        "interface eth2",
        " description new",
        "exit",
    ]
    assert sop_netmiko.merge_commands(FRR_RUNNING, FRR_RUNNING, IOS) == []


def test_restore_negates_what_appeared_then_sends_what_went_away() -> None:
    changed = FRR_RUNNING.replace("transit to gw", "other").replace(
        "ip route 10.77.2.0/24 10.77.3.2", "ip route 10.77.9.0/24 Null0"
    )
    assert sop_netmiko.restore_commands(changed, FRR_RUNNING, IOS) == [
        "no ip route 10.77.9.0/24 Null0",
        "interface eth1",
        " no description other",
        "exit",
        "ip route 10.77.2.0/24 10.77.3.2",
        "interface eth1",
        " description transit to gw",
        "exit",
    ]
    assert sop_netmiko.restore_commands(FRR_RUNNING, FRR_RUNNING, IOS) == []


def test_restore_of_a_negated_line_sends_it_without_no() -> None:
    before = "interface eth1\n no shutdown\n"
    after = "interface eth1\n shutdown\n"
    assert sop_netmiko.restore_commands(after, before, IOS) == [
        "interface eth1",
        " no shutdown",
        "exit",
        "interface eth1",
        " no shutdown",
        "exit",
    ]


ROS_EXPORT = """\
# 2026-11-28 10:00:00 by RouterOS 7.14.3
/interface ethernet set [ find default-name=ether1 ] comment=uplink
/ip route add dst-address=10.20.0.0/16 gateway=10.0.0.2
"""


def test_routeros_lines_are_whole_commands_and_adds_are_removed_by_find() -> None:
    added = ROS_EXPORT + "/ip route add dst-address=10.99.0.0/16 gateway=10.0.0.9\n"
    assert sop_netmiko.merge_commands(ROS_EXPORT, added, ROS) == [
        "/ip route add dst-address=10.99.0.0/16 gateway=10.0.0.9"
    ]
    assert sop_netmiko.restore_commands(added, ROS_EXPORT, ROS) == [
        "/ip route remove [find dst-address=10.99.0.0/16 gateway=10.0.0.9]"
    ]
    # a "set" has no inverse: the line from before is sent again
    commented = ROS_EXPORT.replace("comment=uplink", "comment=other")
    assert sop_netmiko.restore_commands(commented, ROS_EXPORT, ROS) == [
        "/interface ethernet set [ find default-name=ether1 ] comment=uplink"
    ]


def test_refused_lines_are_found_in_the_device_echo() -> None:
    echo = "rtr1(config-if)# no description x\n% Unknown command: no description x\nrtr1#"
    assert sop_netmiko.refused(echo) == ["% Unknown command: no description x"]
    assert sop_netmiko.refused("rtr1(config)# ip route 10.0.0.0/8 Null0\nrtr1#") == []


def test_netmiko_platforms_refuse_replace_and_unknown_dialects() -> None:
    params = {"host": "192.0.2.1", "username": "u"}
    driver = sop_netmiko.NetmikoDriver("cisco_ios", params)
    with pytest.raises(sop_netmiko.NetmikoError, match="merges only"):
        driver.load_candidate("hostname x\n", replace=True)
    with pytest.raises(sop_netmiko.NetmikoError, match="no netmiko dialect"):
        sop_netmiko.NetmikoDriver("vyos", params)


@pytest.fixture
def watch_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The watchdog's directory, in tmp_path instead of /var/lib/sop-netwatch."""
    path = tmp_path / "netwatch"
    monkeypatch.setattr(sop_netmiko, "WATCH_DIR", path)
    yield path
    for ready in path.glob("*.ready"):  # a watchdog this test started and left
        pid = sop_netwatch.watchdog_pid(path, ready.name.split(".")[0])
        if pid:
            os.kill(pid, signal.SIGKILL)


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


def test_watchdog_starts_detached_and_a_confirm_stops_it(watch_dir: Path) -> None:
    driver = sop_netmiko.NetmikoDriver("cisco_ios", {"host": "192.0.2.7", "username": "u"})
    driver.token, driver.before = "t1", "hostname before\n"
    driver._start_watchdog(revert_in=600)
    state = watch_dir / "192.0.2.7_22.pending.json"
    assert oct(state.stat().st_mode & 0o777) == "0o600"
    assert oct(watch_dir.stat().st_mode & 0o777) == "0o700"
    pid = int((watch_dir / "t1.ready").read_text().split()[0])
    parent = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    assert _alive(pid) and parent != os.getpid(), "the watchdog is still a child of the run"
    assert driver.pending() == "t1"
    assert driver._claim("confirmed")
    for _ in range(50):
        if not _alive(pid):
            break
        time.sleep(0.05)
    assert not _alive(pid) and driver.pending() == ""
    assert not driver._claim("confirmed"), "a change can be claimed once only"


def test_an_unfinished_change_blocks_the_next_and_says_whether_its_watchdog_lives(
    watch_dir: Path,
) -> None:
    driver = sop_netmiko.NetmikoDriver("cisco_ios", {"host": "192.0.2.8", "username": "u"})
    watch_dir.mkdir()
    (watch_dir / "192.0.2.8_22.pending.json").write_text('{"token": "t2"}')
    with pytest.raises(sop_netmiko.NetmikoError, match="watchdog is gone"):
        driver.commit("hostname x\n", revert_in=30)
    # a process carrying the token in its command line stands for the live watchdog
    sleeper = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(30)", "t2"], start_new_session=True
    )
    try:
        cmdline = Path(f"/proc/{sleeper.pid}/cmdline")
        for _ in range(100):  # until it has exec'd
            if b"t2" in cmdline.read_bytes():
                break
            time.sleep(0.02)
        (watch_dir / "t2.ready").write_text(str(sleeper.pid))
        with pytest.raises(sop_netmiko.NetmikoError, match="still waits for confirmation"):
            driver.commit("hostname x\n", revert_in=30)
    finally:
        sleeper.kill()
        sleeper.wait()
