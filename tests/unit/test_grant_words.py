"""`sop grant open|extend`'s line speaks the person's language (issue 17), its id still the
second word (scripts and the lab tests read it there: ``stdout.split()[1]``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sop_runner import i18n
from sop_runner.procedures.grants.cli import _line
from sop_runner.procedures.grants.models import FirewallGrant


@pytest.mark.parametrize(
    ("lang", "start", "middle"),
    [
        ("id", "izin 7 terbuka: andi 203.0.113.5 -> srv1", "tcp/22 lewat gw1, sampai "),
        ("en", "grant 7 open: andi 203.0.113.5 -> srv1", "tcp/22 via gw1, until "),
    ],
)
def test_a_grants_line_is_in_the_persons_language_with_its_id_second(
    monkeypatch, lang, start, middle
):
    monkeypatch.setattr(i18n, "_chosen", lang)
    grant = FirewallGrant(
        id=7,
        status="open",
        user="andi",
        source="203.0.113.5",
        target="srv1",
        destination="10.10.0.11",
        protocol="tcp",
        port=22,
        firewall="gw1",
        ends_at=datetime.now(UTC) + timedelta(minutes=30),
    )
    line = _line(grant)
    assert line.startswith(start) and middle in line, line
    assert int(line.split()[1]) == 7
