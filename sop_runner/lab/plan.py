"""The lab's fixed plan: names, addresses, paths.  Nothing here touches the machine."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

STATE_DIR = Path("/var/lib/sop-lab")
RUN_DIR = STATE_DIR / "run"
HOSTS_DIR = RUN_DIR / "hosts"
DISK_DIR = RUN_DIR / "disks"
SSH_DIR = STATE_DIR / "ssh"
SECRETS_DIR = STATE_DIR / "secrets"
STATE_FILE = STATE_DIR / "state.json"
# The lab's admin key: the lab's own set-up and the tests' `lab.ssh` log in with it as
# ADMIN_USER (a second uid-0 account); the automation path never names it.
LAB_KEY = SSH_DIR / "id_ed25519"
SSH_CONFIG = SSH_DIR / "config"
# The network devices' login (rtr1's netadmin, a vtysh shell): the 3.1 drivers log in
# with it from the controller (docs/security.md: network devices keep a device key).
NETADMIN_KEY = SSH_DIR / "netadmin_ed25519"
# The SSH certificate authority the hosts trust (TrustedUserCAKeys): its private key is
# root's alone, read only by the issuer (sop_runner/issuer).
CA_DIR = STATE_DIR / "ca"
CA_KEY = CA_DIR / "user_ca"
DB_PASSWORD_FILE = SECRETS_DIR / "db-password"

CACHE_DIR = Path("/var/cache/sop-lab")
SRV2_TARBALL = CACHE_DIR / "srv2-rootfs.tar.zst"
SEED_DIR = CACHE_DIR / "seed"

NETNS_PREFIX = "soplab-"
BRIDGE = "soplab0"
VETH_PREFIX = "sl-"

MGMT_NET = "10.77.1.0/24"
CONTROLLER_ADDR = "10.77.1.1"
EXT_NET = "10.77.2.0/24"
GW_MGMT_ADDR = "10.77.1.254"
GW_EXT_ADDR = "10.77.2.1"
EXT_ADDR = "10.77.2.10"
TRANSIT_NET = "10.77.3.0/30"
RTR1_TRANSIT_ADDR = "10.77.3.1"
GW_TRANSIT_ADDR = "10.77.3.2"

NFT_TABLE = "sop"
NFT_FAMILY = "inet"
NFT_FORWARD_CHAIN = "forward"
NFT_GRANT_SET = "grants"

DB_USER = "sop_lab"
DB_NAME = "appdb"
MARIADB_PORT = 3306
POSTGRES_PORT = 5432

DISK_COUNT = 2
DISK_SIZE = 32 * 1024 * 1024
DISK_PATTERN_BLOCK = 512

NETADMIN_USER = "netadmin"
ADMIN_USER = "sopadmin"
# SOP 2.4's remote users log in to srv1 as this account with a certificate of their grant.
VENDOR_USER = "vendor"
VENDOR_UID = 1950
VENDOR_HOST = "srv1"


@dataclass(frozen=True)
class LabHost:
    """One lab host reached over SSH: its name, management address and what it runs."""

    name: str
    address: str
    rootfs: str = "overlay"  # overlay (over the machine's /) | tarball (srv2)
    ports: tuple[int, ...] = field(default=(22,))

    @property
    def netns(self) -> str:
        return NETNS_PREFIX + self.name

    @property
    def veth(self) -> str:
        return VETH_PREFIX + self.name

    @property
    def dir(self) -> Path:
        return HOSTS_DIR / self.name


HOSTS: tuple[LabHost, ...] = (
    LabHost("gw", GW_MGMT_ADDR),
    LabHost("srv1", "10.77.1.11", ports=(22, MARIADB_PORT, POSTGRES_PORT, 8080)),
    LabHost("srv2", "10.77.1.12", rootfs="tarball", ports=(22, 8081)),
    LabHost("backup", "10.77.1.13"),
    LabHost("rtr1", "10.77.1.21"),
)

EXT_NETNS = NETNS_PREFIX + "ext"


def host(name: str) -> LabHost:
    """Given a host name, return its plan entry (KeyError if it is not a lab host)."""
    for h in HOSTS:
        if h.name == name:
            return h
    raise KeyError(name)


def all_netns() -> list[str]:
    """Given the plan, return every network namespace name the lab owns."""
    return [h.netns for h in HOSTS] + [EXT_NETNS]
