"""Reading certificate sessions from sshd's log, and KRL serials (SOP 2.4 remote accounts)."""

from __future__ import annotations

from ansible.module_utils.sop_krl import revoked_serials, spec  # type: ignore[import-not-found]
from ansible.module_utils.sop_sshd_log import (  # type: ignore[import-not-found]
    line_time,
    sessions,
)

KEY = "sop request 7 remote user andi as vendor@srv1 operator budi"
OTHER = "sop request 3 run 1 step 5 operator budi"
LOG = f"""\
2025-03-01T09:00:01+0700 srv1 sshd: Server listening on 0.0.0.0 port 22.
2025-03-01T09:00:05+0700 srv1 sshd: Accepted publickey for vendor from 10.77.2.10 port 50412 ssh2: ED25519-CERT SHA256:abc ID {KEY} (serial 91) CA ED25519 SHA256:def
2025-03-01T09:00:06+0700 srv1 sshd: Accepted publickey for root from 10.77.1.1 port 40000 ssh2: ED25519-CERT SHA256:ghi ID {OTHER} (serial 5) CA ED25519 SHA256:def
2025-03-01T09:00:09+0700 srv1 sshd: Received disconnect from 10.77.1.1 port 40000:11: disconnected by user
2025-03-01T09:00:09+0700 srv1 sshd: Disconnected from user root 10.77.1.1 port 40000
2025-03-01T09:12:40+0700 srv1 sshd: Disconnected from user vendor 10.77.2.10 port 50412
2025-03-01T09:13:00+0700 srv1 sshd: Accepted publickey for vendor from 10.77.2.10 port 50999 ssh2: ED25519-CERT SHA256:abc ID {KEY} (serial 91) CA ED25519 SHA256:def
"""  # noqa: E501


def test_a_certificates_sessions_are_its_logins_paired_with_their_ends():
    found = sessions(LOG.splitlines(), [KEY], 2025)
    assert found == [
        {
            "key_id": KEY,
            "serial": 91,
            "user": "vendor",
            "source": "10.77.2.10",
            "port": 50412,
            "opened_at": "2025-03-01T09:00:05+07:00",
            "closed_at": "2025-03-01T09:12:40+07:00",
        },
        {
            "key_id": KEY,
            "serial": 91,
            "user": "vendor",
            "source": "10.77.2.10",
            "port": 50999,
            "opened_at": "2025-03-01T09:13:00+07:00",
            "closed_at": None,
        },
    ]
    assert [s["user"] for s in sessions(LOG.splitlines(), [OTHER], 2025)] == ["root"]
    assert sessions(LOG.splitlines(), ["sop request 99"], 2025) == []


def test_syslog_times_take_the_year_of_the_reading():
    assert line_time("Mar  1 09:00:05 srv1 sshd[812]: Accepted", 2025) == "2025-03-01T09:00:05"
    assert line_time("no time here", 2025) is None


def test_krl_serials_are_read_from_the_listing_and_written_as_a_spec():
    listing = "# KRL version 0\n# CA key ssh-ed25519 SHA256:x\nserial: 7\nserial: 9-11\n"
    assert revoked_serials(listing) == {7, 9, 10, 11}
    assert spec([11, 7, 7]) == "serial: 7\nserial: 11\n"
