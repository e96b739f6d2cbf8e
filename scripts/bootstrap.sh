#!/usr/bin/env bash
# Install what sop-pusatdata needs on a fresh Debian machine (root):
# the Debian packages of the real components and the Python virtual
# environment.  Idempotent and quick when everything is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  python3-venv python3-nftables iproute2 nftables openssh-server openssh-client
  restic mariadb-server mariadb-client postgresql postgresql-client
  netcat-openbsd util-linux procps attr sqlite3 frr debootstrap nwipe
  systemd-container nginx-light frr-pythontools
  # The control cards (SOP 6.3, 6.4): a UPS through NUT, a room sensor through SNMP
  # (the lab simulates both: dummy-ups, snmpd with a pass script).
  nut-server nut-client snmpd snmp
  # The documents: WeasyPrint's system libraries (Pango, HarfBuzz) and fonts for its
  # PDF; poppler-utils reads PDFs back (pdftotext, pdftoppm) in the document tests.
  libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b libharfbuzz-subset0 fonts-liberation2
  fonts-dejavu-core
  poppler-utils
  # Monitoring (SOP 6.1, 6.2): the time-series engine and the exporter the lab runs in its hosts.
  prometheus prometheus-node-exporter
  # SOP 3.2: the network/device schema is drawn by Graphviz (dot); the label tests read
  # the QR codes back with zbarimg.
  graphviz zbar-tools
)

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "bootstrap: installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The venv sees Debian's python3-nftables (PyPI has no official package).
if [ ! -x .venv/bin/python ]; then
  /usr/bin/python3 -m venv --system-site-packages .venv
fi
stamp=.venv/.requirements.sha256
want=$(sha256sum requirements.lock pyproject.toml | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  .venv/bin/pip install -q --upgrade pip
  .venv/bin/pip install -q -r requirements.lock
  .venv/bin/pip install -q --no-deps -e .
  echo "$want" > "$stamp"
fi

# FakeNOS (canned network-device outputs, a simulator used only to exercise
# napalm's parsing) needs paramiko <= 4.0, which the main venv's napalm and
# ansible do not: it gets a venv of its own, started by the tests as a server.
simstamp=.venv-sim/.requirements.sha256
simwant=$(sha256sum requirements-sim.lock | cut -d' ' -f1)
if [ "$(cat "$simstamp" 2>/dev/null)" != "$simwant" ]; then
  [ -x .venv-sim/bin/python ] || /usr/bin/python3 -m venv .venv-sim
  .venv-sim/bin/pip install -q --upgrade pip
  .venv-sim/bin/pip install -q -r requirements-sim.lock
  echo "$simwant" > "$simstamp"
fi
