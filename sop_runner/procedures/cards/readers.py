"""Readings from the room's devices: a UPS through NUT (``upsc``) and a temperature and
humidity sensor over SNMP (Net-SNMP's ``snmpget``; no Python SNMP library is needed).

Both are the ordinary clients of the ordinary servers (``upsd``, an SNMP agent); in the
lab the UPS is NUT's ``dummy-ups`` driver reading a ``.dev`` file and the sensor an
``snmpd`` ``extend`` reading a file, both named as simulated in ``site.yml``.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path

from sop_runner.errors import SopError
from sop_runner.i18n import _
from sop_runner.procedures.cards.settings import Sensor, Ups

TIMEOUT = 10
# The NUT variables a card keeps (what 6.3's electrical card asks about the supply).
UPS_VARIABLES = (
    "ups.status",
    "input.voltage",
    "output.voltage",
    "ups.load",
    "battery.charge",
    "battery.runtime",
    "device.model",
    "ups.model",
)


def _run(argv: list[str], what: str, env: dict[str, str] | None = None) -> str:
    try:
        done = subprocess.run(
            argv, capture_output=True, text=True, timeout=TIMEOUT, env=env, check=False
        )
    except FileNotFoundError:
        raise SopError(
            _("{what}: {program} not found; install it (scripts/bootstrap.sh)").format(
                what=what, program=argv[0]
            )
        ) from None
    except subprocess.TimeoutExpired:
        raise SopError(
            _("{what}: no answer within {seconds} s").format(what=what, seconds=TIMEOUT)
        ) from None
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["failed"])[-1]
        raise SopError(f"{what}: {last}")
    return done.stdout


def read_ups(ups: Ups) -> dict[str, str]:
    """Given a UPS of the site, return the NUT variables a card keeps (``upsc``).

    Raise SopError naming the UPS when upsd does not answer or knows no such UPS.
    """
    text = _run(["upsc", ups.address], f"ups {ups.address}")
    values = dict(line.split(": ", 1) for line in text.splitlines() if ": " in line)
    found = {key: values[key].strip() for key in UPS_VARIABLES if key in values}
    if "ups.status" not in found:
        raise SopError(_("ups {address}: upsc gave no ups.status").format(address=ups.address))
    return found


def _number(text: str, what: str) -> float:
    try:
        return float(text.strip().strip('"'))
    except ValueError:
        raise SopError(
            _("{what}: the sensor gave {value!r}, not a number").format(
                what=what, value=text.strip()
            )
        ) from None


def read_sensor(sensor: Sensor) -> tuple[float, float]:
    """Given a room sensor of the site, return its temperature (°C) and humidity (%).

    The community goes to ``snmpget`` through a private snmp.conf (``defCommunity``),
    never on its argument list.  Raise SopError naming the sensor when it does not
    answer or gives something that is not a number.
    """
    where = f"sensor {sensor.host}:{sensor.port}"
    with tempfile.TemporaryDirectory(prefix="sop-snmp-") as folder:
        conf = Path(folder) / "snmp.conf"
        fd = os.open(conf, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(f"defCommunity {sensor.community}\ndefVersion 2c\n")
        # No MIB files are needed (numeric OIDs); without this snmpget warns about each.
        env = {**os.environ, "SNMPCONFPATH": folder, "MIBS": "", "MIBDIRS": folder}
        text = _run(
            [
                "snmpget",
                "-Oqv",
                # One retry after 2 s: a sensor that does not answer is said within 10 s.
                "-t",
                "2",
                "-r",
                "1",
                f"udp:{sensor.host}:{sensor.port}",
                sensor.oid_temperature,
                sensor.oid_humidity,
            ],
            where,
            env,
        )
    lines = text.strip().splitlines()
    if len(lines) != 2 or any("No Such" in line for line in lines):
        raise SopError(
            _("{where}: the sensor has no value at {temperature} or {humidity}").format(
                where=where, temperature=sensor.oid_temperature, humidity=sensor.oid_humidity
            )
        )
    return _number(lines[0], where), _number(lines[1], where)
