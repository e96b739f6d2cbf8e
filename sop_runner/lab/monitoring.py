"""The lab's monitoring (SOP 6.1, 6.2): node_exporter inside every host, one Prometheus.

Each lab host runs the machine's ``prometheus-node-exporter`` inside its own
namespaces (entered with ``nsenter`` at its init, as its sshd runs there), so its
network counters are the host's own interfaces and its file systems the host's
own root; the firewall (gw) and the router (rtr1) report their interface counters
the same way.  srv2's root is a Debian of its own: the exporter is copied into it.

Prometheus runs on the controller (the root namespace, which reaches every host on
the management bridge), with its scrape configuration generated from the lab's
inventory by ``playbooks/setup/monitoring_config.yml``, as production generates it.  Its
data lives under the lab's run directory, so the lab's ``down`` ends it (every
process naming that directory is the lab's) and removes its data.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from sop_runner.config import REPO_ROOT
from sop_runner.lab import databases, plan
from sop_runner.lab.proc import LabError

EXPORTER = Path("/usr/bin/prometheus-node-exporter")
PROMETHEUS = Path("/usr/bin/prometheus")
EXPORTER_PORT = 9100
# Not 9090: a production-like Prometheus of the machine (Debian's package) may hold it.
PROMETHEUS_PORT = 9391
PROMETHEUS_URL = f"http://127.0.0.1:{PROMETHEUS_PORT}"
DIR = plan.RUN_DIR / "prometheus"
CONFIG = DIR / "prometheus.yml"
DATA = DIR / "data"
# Short in the lab, so a burst of traffic shows within seconds (production: 60s).
SCRAPE_INTERVAL = "2s"
PLAYBOOK = REPO_ROOT / "playbooks" / "setup" / "monitoring_config.yml"
COLLECTORS = ("cpu", "meminfo", "filesystem", "netdev", "loadavg")
READY_TIMEOUT = 20.0


def exporter_argv(address: str, binary: str = str(EXPORTER)) -> list[str]:
    """Given a host's address, return the node_exporter command line the lab runs there."""
    return [
        binary,
        f"--web.listen-address={address}:{EXPORTER_PORT}",
        "--collector.disable-defaults",
        *(f"--collector.{name}" for name in COLLECTORS),
    ]


def config_command(inventory: Path, config: Path, interval: str = SCRAPE_INTERVAL) -> list[str]:
    """Given an inventory and where the configuration goes, return the playbook's command."""
    return [
        str(Path(sys.executable).parent / "ansible-playbook"),
        "-i",
        str(inventory),
        str(PLAYBOOK),
        "-e",
        f"prometheus_config_file={config}",
        "-e",
        f"monitoring_scrape_interval={interval}",
        "-e",
        f"monitoring_scrape_timeout={interval}",
        "-e",
        "prometheus_reload=false",
    ]


def prometheus_argv(config: Path, data: Path, port: int) -> list[str]:
    """Given a configuration, a data folder and a port, return Prometheus's command line.

    A long retention: backfilled history (tests, the bench) is months old.
    """
    return [
        str(PROMETHEUS),
        f"--config.file={config}",
        f"--storage.tsdb.path={data}",
        "--storage.tsdb.retention.time=400d",
        f"--web.listen-address=127.0.0.1:{port}",
        "--web.enable-lifecycle",
        "--log.level=warn",
    ]


def start_exporter(name: str, init_pid: int) -> subprocess.Popen[bytes]:
    """Given a running host and its init pid, return its node_exporter's process."""
    h = plan.host(name)
    binary = str(EXPORTER)
    if h.rootfs != "overlay":  # srv2's own Debian has no exporter: give it the machine's
        inside = h.dir / "root" / "usr/local/bin/prometheus-node-exporter"
        if not inside.exists():
            shutil.copy2(EXPORTER, inside)
        binary = "/usr/local/bin/prometheus-node-exporter"
    log = (h.dir / "node-exporter.log").open("ab")
    try:
        # -r -w: the host's root (its init chroots into it), not its mount namespace's.
        return subprocess.Popen(
            ["nsenter", "-t", str(init_pid), "-a", "-r", "-w", *exporter_argv(h.address, binary)],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            start_new_session=True,
        )
    finally:
        log.close()


def start_prometheus(config: Path, data: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    """Given a configuration, a data folder, a port and a log file, return a ready Prometheus.

    Raise LabError if it does not answer /-/ready in time.
    """
    data.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        proc = subprocess.Popen(
            prometheus_argv(config, data, port),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=out,
            start_new_session=True,
        )
    deadline = time.monotonic() + READY_TIMEOUT
    while not _answers(f"http://127.0.0.1:{port}/-/ready"):
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise LabError(f"prometheus on port {port} not ready: {log.read_text()[-800:]}")
        time.sleep(0.05)
    return proc


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as response:
            return response.status == 200
    except OSError:
        return False


def _inputs_digest(inventory: Path) -> str:
    """Given the lab's inventory, return the digest of everything the configuration is made of."""
    digest = hashlib.sha256(SCRAPE_INTERVAL.encode())
    for path in sorted(
        [*inventory.rglob("*.yml"), PLAYBOOK, *(PLAYBOOK.parent / "templates").glob("*")]
    ):
        digest.update(str(path).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def ensure_config(inventory: Path) -> Path:
    """Given the lab's inventory, return the scrape configuration the playbook generated
    from it, run again only when the inventory, the playbook or its template changed.

    One-time work (Ansible's start-up costs seconds): the lab's prepare_assets calls it,
    outside the timed up.  Raise LabError if the playbook fails.
    """
    cached = plan.CACHE_DIR / f"prometheus-{_inputs_digest(inventory)}.yml"
    if cached.exists():
        return cached
    plan.CACHE_DIR.mkdir(parents=True, exist_ok=True)
    fresh = cached.with_suffix(".tmp")
    done = subprocess.run(
        config_command(inventory, fresh),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if done.returncode != 0:
        raise LabError(f"monitoring_config.yml failed: {(done.stdout + done.stderr)[-1500:]}")
    fresh.replace(cached)
    return cached


def start(
    host_pids: dict[str, int], config: Path
) -> tuple[dict[str, object], list[subprocess.Popen[bytes]]]:
    """Given the running hosts' init pids and the generated scrape configuration, start
    the exporters and Prometheus; return what the lab's state records and the processes.

    Raise LabError if a part does not answer in time.
    """
    t0 = time.monotonic()
    DIR.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(config, CONFIG)
    procs = [start_exporter(name, pid) for name, pid in sorted(host_pids.items())]
    deadline = time.monotonic() + READY_TIMEOUT
    for name in sorted(host_pids):
        while not databases.tcp_ready(plan.host(name).address, EXPORTER_PORT):
            if time.monotonic() > deadline:
                log = (plan.host(name).dir / "node-exporter.log").read_text()[-400:]
                raise LabError(f"node_exporter on {name} does not answer: {log}")
            time.sleep(0.02)
    procs.append(start_prometheus(CONFIG, DATA, PROMETHEUS_PORT, DIR / "prometheus.log"))
    return (
        {
            "url": PROMETHEUS_URL,
            "config": str(CONFIG),
            "data": str(DATA),
            "exporter_port": EXPORTER_PORT,
            "scrape_interval": SCRAPE_INTERVAL,
            # What the monitoring adds to up() once its hosts are ready.
            "seconds": round(time.monotonic() - t0, 3),
        },
        procs,
    )
