"""SOP 3.1's device drivers against FakeNOS *simulators*: napalm's ios and netmiko's RouterOS.

What this proves, for ``NapalmDriver`` (platform ``ios``): napalm's ios driver, as
``NapalmDriver`` calls it, logs in over SSH through netmiko, reaches enable mode
(the canned outputs below answer only at the ``#`` prompt), and that
``get_config`` and the health checks parse IOS-shaped texts into the answers
``change()`` relies on: the running configuration without IOS's header, an
interface that is up versus one administratively down, line-protocol down or
absent, a route in the table versus one that is not.  ``close`` ends the session.

For ``NetmikoDriver("mikrotik_routeros")``: netmiko's mikrotik driver logs in
(with its ``+ct511w4098h`` login options), finds the ``[user@identity] >``
prompt, ``get_config`` turns ``/export terse`` into its command lines without
the ``#`` header, and the health checks read RouterOS 7 ``print terse`` rows by
their flags -- running or not (disabled, link down) or absent for interfaces,
active (static or dynamic) or inactive or absent for routes -- without being
misled by a ``comment=``; a fresh login that fails is reported as such.

What it does NOT prove: anything about a real IOS or RouterOS device.  FakeNOS
answers each command with the fixed text given here (see tests/support/fakenos_sim.py); it
keeps no state, so load/compare/commit/confirm/rollback -- the writing half of
``change()`` -- and netmiko's revert watchdog are not exercised at all, and the
outputs are only as faithful as the samples below (modelled on IOS-XE 16/17 on
a CSR1000v and on RouterOS 7.14 on an RB5009).  No IOS or RouterOS device or
image could run on this machine.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from ansible.module_utils import sop_netconfig, sop_netmiko

from tests.support import fakenos_sim

pytest.importorskip("napalm", reason="the napalm path needs napalm in the project's venv")
if not fakenos_sim.SIM_PYTHON.exists():
    pytest.skip("the FakeNOS venv (.venv-sim) is not set up", allow_module_level=True)

USERNAME, PASSWORD = "sop", "rahasia-sim"
HOSTNAME = "rtr-tegal-1"
ENABLE = "{base_prompt}#"  # FakeNOS fills in the hostname; these answer in enable mode only

# What the device's configuration is; the canned `show running-config` wraps it in
# IOS's header, which napalm must strip.
RUNNING_CONFIG = f"""!
version 17.3
service timestamps debug datetime msec
service timestamps log datetime msec
no service password-encryption
!
hostname {HOSTNAME}
!
boot-start-marker
boot-end-marker
!
no aaa new-model
!
ip domain name pusatdata.tegalkab.go.id
!
username sop privilege 15 secret 9 $9$abcdefghijklmn$0123456789abcdefghijklmnopqrstuvwxyzABCDE
!
interface GigabitEthernet1
 description uplink ke core-sw1
 ip address 10.0.12.1 255.255.255.252
 negotiation auto
!
interface GigabitEthernet2
 description cadangan (belum dipakai)
 no ip address
 shutdown
 negotiation auto
!
interface GigabitEthernet3
 description ke kantor dinas kominfo
 ip address 10.0.13.1 255.255.255.252
 negotiation auto
!
ip forward-protocol nd
no ip http server
ip route 10.20.0.0 255.255.0.0 10.0.12.2 name server-farm
!
line vty 0 4
 login local
 transport input ssh
!
end"""

SHOW_RUNNING_CONFIG = (
    "Building configuration...\n\nCurrent configuration : 1187 bytes\n" + RUNNING_CONFIG
)

# Gi1 up/up, Gi2 administratively down, Gi3 up but line protocol down (a cut link).
SHOW_INTERFACES = """GigabitEthernet1 is up, line protocol is up
  Hardware is CSR vNIC, address is 5254.0012.3401 (bia 5254.0012.3401)
  Description: uplink ke core-sw1
  Internet address is 10.0.12.1/30
  MTU 1500 bytes, BW 1000000 Kbit/sec, DLY 10 usec,
     reliability 255/255, txload 1/255, rxload 1/255
  Encapsulation ARPA, loopback not set
  Keepalive set (10 sec)
  Full Duplex, 1000Mbps, link type is auto, media type is Virtual
  5 minute input rate 2000 bits/sec, 3 packets/sec
  5 minute output rate 1000 bits/sec, 2 packets/sec
GigabitEthernet2 is administratively down, line protocol is down
  Hardware is CSR vNIC, address is 5254.0012.3402 (bia 5254.0012.3402)
  Description: cadangan (belum dipakai)
  MTU 1500 bytes, BW 1000000 Kbit/sec, DLY 10 usec,
     reliability 255/255, txload 1/255, rxload 1/255
  Encapsulation ARPA, loopback not set
GigabitEthernet3 is up, line protocol is down
  Hardware is CSR vNIC, address is 5254.0012.3403 (bia 5254.0012.3403)
  Description: ke kantor dinas kominfo
  Internet address is 10.0.13.1/30
  MTU 1500 bytes, BW 1000000 Kbit/sec, DLY 10 usec,
     reliability 255/255, txload 1/255, rxload 1/255
  Encapsulation ARPA, loopback not set
"""

# napalm's get_route_to asks `show vrf` first, then `show ip route [vrf V] <net> <mask>`
# per VRF.  A device without VRFs prints nothing for `show vrf` (FakeNOS's own canned
# one lists VRFs, which would need a route answer for each), so only the global table.
SHOW_IP_ROUTE_PRESENT = """Routing entry for 10.20.0.0/16
  Known via "static", distance 1, metric 0
  Redistributing via ospf 1
  Routing Descriptor Blocks:
  * 10.0.12.2
      Route metric is 0, traffic share count is 1
"""
SHOW_IP_ROUTE_ABSENT = "% Network not in table"

COMMANDS = {
    "show running-config": fakenos_sim.canned(SHOW_RUNNING_CONFIG, ENABLE),
    "show interfaces": fakenos_sim.canned(SHOW_INTERFACES, ENABLE),
    "show vrf": fakenos_sim.canned("", ENABLE),
    "show ip route 10.20.0.0 255.255.0.0": fakenos_sim.canned(SHOW_IP_ROUTE_PRESENT, ENABLE),
    "show ip route 10.99.0.0 255.255.0.0": fakenos_sim.canned(SHOW_IP_ROUTE_ABSENT, ENABLE),
}


@pytest.fixture(scope="module")
def ios_simulator() -> Iterator[fakenos_sim.FakeNosDevice]:
    """One simulated IOS router for the module (it keeps no state between tests)."""
    with fakenos_sim.fakenos_device(
        "cisco_ios", USERNAME, PASSWORD, commands=COMMANDS, hostname=HOSTNAME
    ) as device:
        yield device


def _driver(device: fakenos_sim.FakeNosDevice) -> sop_netconfig.NapalmDriver:
    """Return a NapalmDriver for the simulator, as make_driver builds it for platform ios."""
    return sop_netconfig.NapalmDriver(
        "ios",
        device.host,
        device.username,
        device.password,
        # netmiko's defaults (fast_cli, delay factor 1) cope with FakeNOS's echo; only
        # the port differs from a real device.
        optional_args={"port": device.port},
    )


def _opened(driver: Any) -> Iterator[Any]:
    """Given a driver, open it, yield it, and close it whatever happened."""
    driver.open()
    try:
        yield driver
    finally:
        driver.close()


@pytest.fixture
def ios_driver(ios_simulator: fakenos_sim.FakeNosDevice) -> Iterator[sop_netconfig.NapalmDriver]:
    """An opened NapalmDriver on the simulator, closed afterwards."""
    yield from _opened(_driver(ios_simulator))


@pytest.mark.timeout(60)
def test_napalm_ios_reads_running_config_from_fakenos_simulator(
    ios_driver: sop_netconfig.NapalmDriver,
) -> None:
    config = ios_driver.get_config()
    # exactly the configuration: IOS's "Building configuration"/"Current configuration"
    # header gone, netmiko's echo and prompt gone, nothing else altered
    assert config == RUNNING_CONFIG
    assert f"hostname {HOSTNAME}" in config.splitlines()
    assert " description uplink ke core-sw1" in config.splitlines()
    assert "ip route 10.20.0.0 255.255.0.0 10.0.12.2 name server-farm" in config.splitlines()


@pytest.mark.timeout(60)
def test_napalm_ios_health_interfaces_from_fakenos_simulator(
    ios_driver: sop_netconfig.NapalmDriver,
) -> None:
    # napalm's parse of the canned `show interfaces`, checked first so that a parsing
    # failure is reported as such rather than as a health verdict
    parsed = ios_driver.device.get_interfaces()
    assert parsed["GigabitEthernet1"]["is_up"] is True
    assert parsed["GigabitEthernet1"]["description"] == "uplink ke core-sw1"
    assert (parsed["GigabitEthernet2"]["is_enabled"], parsed["GigabitEthernet2"]["is_up"]) == (
        False,
        False,
    )
    assert (parsed["GigabitEthernet3"]["is_enabled"], parsed["GigabitEthernet3"]["is_up"]) == (
        True,
        False,
    )

    assert ios_driver.health({"interfaces_up": ["GigabitEthernet1"]}) == []
    assert ios_driver.health(
        {"interfaces_up": ["GigabitEthernet1", "GigabitEthernet2", "GigabitEthernet3", "Gi9"]}
    ) == [
        "interface GigabitEthernet2 is not up",
        "interface GigabitEthernet3 is not up",
        "interface Gi9 is not up",  # absent
    ]


@pytest.mark.timeout(60)
def test_napalm_ios_health_routes_from_fakenos_simulator(
    ios_driver: sop_netconfig.NapalmDriver,
) -> None:
    found = ios_driver.device.get_route_to(destination="10.20.0.0/16")
    assert [(r["protocol"], r["next_hop"]) for r in found["10.20.0.0/16"]] == [
        ("static", "10.0.12.2")
    ]

    assert ios_driver.health({"routes": ["10.20.0.0/16"]}) == []
    # napalm answers {"10.99.0.0/16": []} for a prefix not in the table: a non-empty
    # dict, so the check must look at the entries
    assert ios_driver.health({"routes": ["10.20.0.0/16", "10.99.0.0/16"]}) == [
        "route 10.99.0.0/16 is not in the routing table"
    ]


@pytest.mark.timeout(60)
def test_napalm_ios_open_and_close_on_fakenos_simulator(
    ios_simulator: fakenos_sim.FakeNosDevice,
) -> None:
    driver = _driver(ios_simulator)
    driver.open()
    assert driver.device.is_alive() == {"is_alive": True}
    driver.close()
    assert driver.device.is_alive() == {"is_alive": False}
    driver.close()  # a second close (e.g. from a finally after an error) is harmless
    # the simulator (and so the device side) still takes a new session after close
    again = _driver(ios_simulator)
    again.open()
    try:
        assert again.get_config() == RUNNING_CONFIG
    finally:
        again.close()


# --- netmiko's mikrotik_routeros dialect (NetmikoDriver) -----------------------------
#
# RouterOS 7 prints `print terse` rows as "[index] [flags] key=value ...": the flags are
# positional columns (a column is left out when no row uses it), a dynamic entry has no
# index, and `comment=` -- free text -- comes right after the flags.  The interface rows
# below parse with ntc-templates' mikrotik_routeros "interface print terse" template
# (whose test samples include 7.x ones); the route rows follow RouterOS 7's flag letters
# (D dynamic; X disabled, I inactive, A active; c connect, s static, o ospf, ...).

MIKROTIK_HOSTNAME = "rtr-tegal-2"
# netmiko's mikrotik driver logs in as "<username>+ct511w4098h" (RouterOS login options:
# no colours, dumb terminal, 511x4098) and a real RouterOS strips that suffix from the
# name; FakeNOS compares the name verbatim, so the simulator's account carries it.
MIKROTIK_LOGIN_SUFFIX = "+ct511w4098h"
# The prompt netmiko expects (`\].*>`): "[user@identity] >".  FakeNOS prints
# "<base_prompt>>", its base prompt being the inventory's host name.
MIKROTIK_PROMPT_NAME = f"[{USERNAME}@{MIKROTIK_HOSTNAME}] "

# What the device's configuration is; `/export terse` puts RouterOS's comment header
# (date, version, software id, model) above it, which get_config must drop.
MIKROTIK_CONFIG = f"""/interface ethernet set [ find default-name=ether1 ] comment=uplink
/interface ethernet set [ find default-name=ether3 ] comment="ke Router Dinkominfo"
/ip address add address=10.0.0.1/24 interface=ether1 network=10.0.0.0
/ip address add address=10.0.13.1/30 interface=ether3 network=10.0.13.0
/ip dns set servers=10.0.0.53
/ip route add dst-address=10.20.0.0/16 gateway=10.0.0.2
/ip route add comment="jalur Alternatif ke DC" distance=5 dst-address=10.30.0.0/16 gateway=10.0.13.2
/system identity set name={MIKROTIK_HOSTNAME}
/system ntp client set enabled=yes
"""
EXPORT_TERSE = (
    "# 2024-05-14 10:21:33 by RouterOS 7.14.3\n"
    "# software id = 7X2Q-ZN4B\n"
    "#\n"
    "# model = RB5009UG+S+\n"
    "# serial number = HF209XK1NQ7\n" + MIKROTIK_CONFIG
)

SYSTEM_RESOURCE = """                   uptime: 3d4h12m7s
                  version: 7.14.3 (stable)
               build-time: 2024-04-17 12:47:58
         factory-software: 7.5
              free-memory: 823.4MiB
             total-memory: 1024.0MiB
                      cpu: ARM64
                cpu-count: 4
            cpu-frequency: 1400MHz
                 cpu-load: 1%
           free-hdd-space: 921.1MiB
          total-hdd-space: 1024.0MiB
  write-sect-since-reboot: 1523
         write-sect-total: 86211
               bad-blocks: 0%
        architecture-name: arm64
               board-name: RB5009UG+S+
                 platform: MikroTik
"""

# ether1 running; ether2 disabled (X); ether3 enabled but not running (a cut link) and
# commented with a capital R; ether9 does not exist (RouterOS prints nothing).
INTERFACE_ROWS = {
    "ether1": "0 R  comment=uplink name=ether1 default-name=ether1 type=ether mtu=1500"
    " actual-mtu=1500 l2mtu=1514 max-l2mtu=9796 mac-address=48:A9:8A:12:34:01"
    " last-link-up-time=2024-05-14 09:12:01 link-downs=0",
    "ether2": "1 X  name=ether2 default-name=ether2 type=ether mtu=1500 actual-mtu=1500"
    " l2mtu=1514 max-l2mtu=9796 mac-address=48:A9:8A:12:34:02 link-downs=0",
    "ether3": "2    comment=ke Router Dinkominfo name=ether3 default-name=ether3 type=ether"
    " mtu=1500 actual-mtu=1500 l2mtu=1514 max-l2mtu=9796 mac-address=48:A9:8A:12:34:03"
    " last-link-down-time=2024-05-14 09:40:12 last-link-up-time=2024-05-14 09:12:01"
    " link-downs=1",
    "ether9": "",
}

# 10.20.0.0/16 static and active ("As"); 10.0.0.0/24 connected, dynamic, so no index
# ("DAc"); 10.30.0.0/16 static but inactive ("Is": its gateway is unreachable) with a
# comment holding " A"; 10.99.0.0/16 not in the table (RouterOS prints nothing).
ROUTE_ROWS = {
    "10.20.0.0/16": "0  As dst-address=10.20.0.0/16 routing-table=main gateway=10.0.0.2"
    " immediate-gw=10.0.0.2%ether1 distance=1 scope=30 target-scope=10"
    " suppress-hw-offload=no",
    "10.0.0.0/24": "  DAc dst-address=10.0.0.0/24 routing-table=main gateway=ether1"
    " immediate-gw=ether1 distance=0 scope=10 target-scope=5 suppress-hw-offload=no"
    " local-address=10.0.0.1%ether1",
    "10.30.0.0/16": "1  Is comment=jalur Alternatif ke DC dst-address=10.30.0.0/16"
    ' routing-table=main pref-src="" gateway=10.0.13.2 immediate-gw="" distance=5'
    " scope=30 target-scope=10 suppress-hw-offload=no",
    "10.99.0.0/16": "",
}

MIKROTIK_COMMANDS = {
    "/export terse": fakenos_sim.canned(EXPORT_TERSE),
    "/system resource print": fakenos_sim.canned(SYSTEM_RESOURCE),
    **{
        f"/interface print terse where name={name}": fakenos_sim.canned(row)
        for name, row in INTERFACE_ROWS.items()
    },
    **{
        f"/ip route print terse where dst-address={prefix}": fakenos_sim.canned(row)
        for prefix, row in ROUTE_ROWS.items()
    },
}


@pytest.fixture(scope="module")
def mikrotik_simulator() -> Iterator[fakenos_sim.FakeNosDevice]:
    """One simulated RouterOS router for the module (it keeps no state between tests)."""
    with fakenos_sim.fakenos_device(
        "mikrotik_routeros",
        USERNAME + MIKROTIK_LOGIN_SUFFIX,
        PASSWORD,
        commands=MIKROTIK_COMMANDS,
        hostname=MIKROTIK_PROMPT_NAME,
    ) as device:
        yield device


def _netmiko_driver(device: fakenos_sim.FakeNosDevice) -> sop_netmiko.NetmikoDriver:
    """Return a NetmikoDriver for the simulator, as make_driver builds it for mikrotik."""
    return sop_netmiko.NetmikoDriver(
        "mikrotik_routeros",
        {
            "host": device.host,
            "port": device.port,
            "username": USERNAME,  # what the inventory holds; netmiko adds the suffix
            "password": device.password,
            "key_file": None,
            "optional_args": {},
        },
    )


@pytest.fixture
def mikrotik_driver(
    mikrotik_simulator: fakenos_sim.FakeNosDevice,
) -> Iterator[sop_netmiko.NetmikoDriver]:
    """An opened NetmikoDriver on the simulator, closed afterwards."""
    yield from _opened(_netmiko_driver(mikrotik_simulator))


@pytest.mark.timeout(60)
def test_netmiko_mikrotik_reads_export_from_fakenos_simulator(
    mikrotik_driver: sop_netmiko.NetmikoDriver,
) -> None:
    # netmiko found the "[sop@rtr-tegal-2] >" prompt and stripped echo and prompts
    assert mikrotik_driver.connection.base_prompt == MIKROTIK_PROMPT_NAME.strip()
    # exactly the commands: the "# ..." header gone, every command line kept as it is
    assert mikrotik_driver.get_config() == MIKROTIK_CONFIG


@pytest.mark.timeout(60)
def test_netmiko_mikrotik_health_interfaces_from_fakenos_simulator(
    mikrotik_driver: sop_netmiko.NetmikoDriver,
) -> None:
    assert mikrotik_driver.health({"interfaces_up": ["ether1"]}) == []
    assert mikrotik_driver.health({"interfaces_up": ["ether1", "ether2", "ether3", "ether9"]}) == [
        "interface ether2 is not running",  # disabled
        "interface ether3 is not running",  # the R in its comment is no flag
        "interface ether9 is not present",
    ]


@pytest.mark.timeout(60)
def test_netmiko_mikrotik_health_routes_from_fakenos_simulator(
    mikrotik_driver: sop_netmiko.NetmikoDriver,
) -> None:
    assert mikrotik_driver.health({"routes": ["10.20.0.0/16", "10.0.0.0/24"]}) == []
    assert mikrotik_driver.health({"routes": ["10.20.0.0/16", "10.30.0.0/16", "10.99.0.0/16"]}) == [
        "route 10.30.0.0/16 is not active",  # the " A" in its comment is no flag
        "route 10.99.0.0/16 is not in the routing table",
    ]


@pytest.mark.timeout(60)
def test_netmiko_mikrotik_health_needs_a_new_login_on_fakenos_simulator(
    mikrotik_driver: sop_netmiko.NetmikoDriver,
) -> None:
    # health() logs in afresh before looking; when that fails it says so and checks
    # nothing else.  (The fresh login is sent to a closed port rather than with a wrong
    # password: FakeNOS leaves a session whose authentication failed hanging, and its
    # server then takes the helper's full 5 s SIGTERM grace to stop.)
    closed = fakenos_sim.free_port()
    mikrotik_driver.params = {**mikrotik_driver.params, "port": closed}
    [problem] = mikrotik_driver.health({"interfaces_up": ["ether1"], "routes": ["10.20.0.0/16"]})
    assert problem.startswith("management: cannot log in again to 127.0.0.1: ")
    # the session opened before is untouched and still answers
    assert mikrotik_driver.get_config() == MIKROTIK_CONFIG
