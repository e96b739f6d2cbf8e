"""The netmiko driver's text work: sections, merge commands, restore commands, refusals.

The real device behind these (FRR's vtysh through netmiko) is exercised in
tests/integration/test_config_network.py; here the same functions meet the cases that
are awkward to stage on the lab router.  The watchdog as a process is in
tests/component/test_netwatch.py.
"""

from __future__ import annotations

import pytest
from ansible.module_utils import sop_netmiko

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
