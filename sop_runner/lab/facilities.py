"""The data center's facilities, simulated: a UPS behind NUT and a room sensor behind SNMP.

Both are the real servers a site runs (Debian ``nut-server`` and ``snmpd``), fed from
files instead of hardware, and named as simulated wherever they appear:

- the UPS is NUT's ``dummy-ups`` driver reading a ``.dev`` file of NUT variables
  (``ups.status: OL``, ``input.voltage: 221.5``, …), served by ``upsd``; ``upsc``
  reads it as it reads any UPS;
- the room sensor is ``snmpd`` answering two OIDs of the Net-SNMP "playpen"
  (``.1.3.6.1.4.1.8072.9999.64.1.0`` temperature, ``….2.0`` relative humidity) with a
  ``pass`` script reading two files; ``snmpget`` reads it as it reads a real sensor.

Control card tests start them on loopback ports of their own (about 1 s, most of it
the driver's first poll), change the files, and stop them.  See docs/kartu-kontrol.md.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

SENSOR_BASE = ".1.3.6.1.4.1.8072.9999.64"
SENSOR_TEMPERATURE = f"{SENSOR_BASE}.1.0"
SENSOR_HUMIDITY = f"{SENSOR_BASE}.2.0"
NUT_DRIVERS = Path("/lib/nut")

_PASS_SCRIPT = """#!/bin/sh
# Simulated room sensor (sop-pusatdata lab): snmpd's pass protocol, answered from files.
case "$2" in
  {base}.1.0) file={folder}/suhu ;;
  {base}.2.0) file={folder}/kelembaban ;;
  *) exit 0 ;;
esac
[ "$1" = "-g" ] || exit 0
echo "$2"; echo string; cat "$file"
"""


def free_port(kind: int = socket.SOCK_STREAM) -> int:
    """Return a loopback port free now (TCP by default, UDP with SOCK_DGRAM)."""
    with socket.socket(socket.AF_INET, kind) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _write(path: Path, text: str, mode: int = 0o644) -> None:
    path.write_text(text)
    os.chmod(path, mode)


def _stop(pid_file: Path) -> None:
    try:
        pid = int(pid_file.read_text().split()[0])
        os.kill(pid, signal.SIGTERM)
    except (OSError, ValueError, IndexError):
        pass


@dataclass
class SimulatedUps:
    """A UPS named ``name`` served by upsd on 127.0.0.1:``port``, its state a ``.dev`` file."""

    folder: Path
    port: int
    name: str = "sim"

    @property
    def dev_file(self) -> Path:
        return self.folder / f"{self.name}.dev"

    @property
    def address(self) -> str:
        return f"{self.name}@127.0.0.1:{self.port}"

    def set(self, **variables: str) -> None:
        """Given NUT variables (``ups_status="OB LB"`` for ``ups.status``), write them and
        wait until upsd serves them (the driver re-reads a changed file every second)."""
        values = _read_dev(self.dev_file) | {k.replace("_", "."): v for k, v in variables.items()}
        _write(self.dev_file, "".join(f"{k}: {v}\n" for k, v in values.items()))
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            served = subprocess.run(
                ["upsc", self.address], capture_output=True, text=True, check=False
            ).stdout
            if all(f"{k}: {v}" in served for k, v in values.items()):
                return
            time.sleep(0.2)
        raise RuntimeError(f"simulated UPS {self.address} did not serve {variables}")


def _read_dev(path: Path) -> dict[str, str]:
    if not path.exists():
        return {}
    return dict(line.split(": ", 1) for line in path.read_text().splitlines() if ": " in line)


def _env(folder: Path) -> dict[str, str]:
    state = folder / "state"
    return {
        **os.environ,
        "NUT_CONFPATH": str(folder),
        "NUT_STATEPATH": str(state),
        "NUT_ALTPIDPATH": str(state),
    }


def start_ups(folder: Path, port: int | None = None, name: str = "sim") -> SimulatedUps:
    """Given an empty folder, start a simulated UPS (dummy-ups + upsd) there; return it."""
    folder.mkdir(parents=True, exist_ok=True)
    ups = SimulatedUps(folder, port or free_port(), name)
    _write(
        ups.dev_file,
        "device.mfr: sop-pusatdata lab\ndevice.model: UPS simulasi (dummy-ups)\n"
        "ups.status: OL\ninput.voltage: 221.5\noutput.voltage: 220.0\nups.load: 37\n"
        "battery.charge: 100\nbattery.runtime: 2400\n",
    )
    _write(
        folder / "ups.conf",
        f"[{name}]\n  driver = dummy-ups\n  port = {ups.dev_file}\n"
        f'  desc = "UPS simulasi (dummy-ups), bukan perangkat nyata"\n  pollinterval = 1\n',
    )
    _write(folder / "upsd.conf", f"LISTEN 127.0.0.1 {ups.port}\n")
    _write(folder / "upsd.users", "", 0o600)
    _write(folder / "nut.conf", "MODE=standalone\n")
    (folder / "state").mkdir(mode=0o700, exist_ok=True)
    env = _env(folder)
    for argv in (
        [str(NUT_DRIVERS / "dummy-ups"), "-a", name, "-u", "root"],
        [str(NUT_DRIVERS / "upsd"), "-u", "root"],
    ):
        subprocess.run(argv, env=env, check=True, capture_output=True, timeout=30)
    ups.set()
    return ups


def stop_ups(ups: SimulatedUps) -> None:
    """Given a simulated UPS, stop its upsd and driver."""
    for pid_file in sorted((ups.folder / "state").glob("*.pid")):
        _stop(pid_file)


@dataclass
class SimulatedSensor:
    """A room sensor served by snmpd on udp 127.0.0.1:``port`` (community ``community``)."""

    folder: Path
    port: int
    community: str

    def set(self, temperature: float, humidity: float) -> None:
        """Given a temperature (°C) and humidity (%), make the sensor read them."""
        _write(self.folder / "suhu", f"{temperature:.1f}\n")
        _write(self.folder / "kelembaban", f"{humidity:.1f}\n")


def start_sensor(
    folder: Path, port: int | None = None, community: str = "sop-lab"
) -> SimulatedSensor:
    """Given an empty folder, start a simulated room sensor (snmpd + pass script); return it."""
    folder.mkdir(parents=True, exist_ok=True)
    sensor = SimulatedSensor(folder, port or free_port(socket.SOCK_DGRAM), community)
    sensor.set(23.0, 45.0)
    script = folder / "sensor.sh"
    _write(script, _PASS_SCRIPT.format(base=SENSOR_BASE, folder=folder), 0o755)
    _write(
        folder / "snmpd.conf",
        f"agentAddress udp:127.0.0.1:{sensor.port}\n"
        f"rocommunity {community} 127.0.0.1\n"
        f"pass {SENSOR_BASE} /bin/sh {script}\n",
        0o600,
    )
    env = {**os.environ, "MIBS": "", "MIBDIRS": str(folder), "SNMP_PERSISTENT_DIR": str(folder)}
    subprocess.run(
        [
            "snmpd",
            "-C",
            "-c",
            str(folder / "snmpd.conf"),
            "-p",
            str(folder / "snmpd.pid"),
            "-Lf",
            str(folder / "snmpd.log"),
        ],
        env=env,
        check=True,
        capture_output=True,
        timeout=30,
    )
    return sensor


def stop_sensor(sensor: SimulatedSensor) -> None:
    """Given a simulated sensor, stop its snmpd."""
    _stop(sensor.folder / "snmpd.pid")


@contextmanager
def simulated_facilities(folder: Path) -> Iterator[tuple[SimulatedUps, SimulatedSensor]]:
    """Given a folder, yield a running simulated UPS and room sensor; stop both after."""
    ups = start_ups(folder / "ups")
    try:
        sensor = start_sensor(folder / "sensor")
        try:
            yield ups, sensor
        finally:
            stop_sensor(sensor)
    finally:
        stop_ups(ups)
