"""Forgery through the documents, played by a petugas with an ordinary Unix account.

He makes the request himself, with a reason whose newline and pipes once added the
row "Disetujui Pimpinan | pak_bupati (ttd)" to his work order (Surat Perintah
Tugas), and a right-to-left override (U+202E) that made a name read backwards; he
writes the documents with his own `sop report`.  The work order is read back with a
GFM table parser: the reason is one cell of one row.  His device name with an
override is shown as <U+202E> by `sop audit show` and `sop register list`.
"""

from __future__ import annotations

import os
import pwd
import shutil
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from sop_runner import keys
from tests.support.attacker import as_user, sop, throwaway_user
from tests.support.markdown import rendered_cells
from tests.support.trust import TrustSetup, make_trust_root

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0, reason="needs root: a root-owned trust file and a throwaway Unix user"
)

FORGED = "disk penuh\n| Disetujui Pimpinan | pak_bupati (ttd) |"
REVERSED = "srv\u202e1gp.exe"


@dataclass
class Petugas:
    """budi's ordinary account on the control node, with his own key and data folder."""

    setup: TrustSetup
    user: str
    home: Path

    def sop(self, *args: str):  # type: ignore[no-untyped-def]
        env = {
            "SOP_TRUST_FILE": str(self.setup.trust_file),
            "SOP_KEY_DIR": str(self.home / "keys"),
            "SOP_DATA_DIR": str(self.home / "data"),
            "SOP_OPERATOR": "budi",
        }
        return sop(*args, env=env, user=self.user)


@pytest.fixture
def petugas(tmp_path: Path) -> Iterator[Petugas]:
    with throwaway_user() as user:
        info = pwd.getpwnam(user)
        home = Path(info.pw_dir)
        as_user(user, "mkdir -p inventory data && chmod 700 data")
        inventory = home / "inventory"
        (inventory / "hosts.yml").write_text(
            "all:\n  children:\n    servers:\n      hosts:\n        ctl1: "
            f"{{ansible_connection: local, ansible_python_interpreter: {sys.executable}}}\n"
        )
        (inventory / "services.yml").write_text(
            "services:\n  - {name: portal, title: Portal, opd: Diskominfo, criticality: normal,"
            " hosts: [ctl1]}\n"
        )
        roster = {"ahmad": ["pimpinan"], "sari": ["penanggung_jawab"], "budi": ["petugas"]}
        setup = make_trust_root(
            roster,
            tmp_path / "root-keys",
            store=f"sqlite:///{home / 'data' / 'sop.db'}",
            inventory=inventory,
            unix_users={"budi": user, "sari": "sari-account", "ahmad": "ahmad-account"},
        )
        folder = home / "keys"
        folder.mkdir(mode=0o700)
        shutil.copy(keys.key_path(setup.key_dir, "budi"), folder)
        for path in (folder, *folder.iterdir(), inventory, *inventory.iterdir()):
            os.chown(path, info.pw_uid, info.pw_gid)
        os.chmod(keys.key_path(folder, "budi"), 0o600)
        yield Petugas(setup, user, home)
        setup.remove()


def test_a_newline_in_the_reason_adds_no_row_to_the_work_order(petugas):
    made = petugas.sop(
        "request", "6.1", "--target", "ctl1", "--reason", f"{FORGED} {REVERSED}",
        "--param", "cleanup_path=/var/tmp/sop-attack", "--param", "max_age_days=30",
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    request_id = made.stdout.split()[1]
    written = petugas.sop("report", request_id)
    assert written.returncode == 0, written.stderr
    paths = [Path(line) for line in written.stdout.split()]
    order = next(
        p for p in paths if p.name.startswith("surat-perintah-tugas") and p.suffix == ".md"
    )
    text = order.read_text()
    rows = rendered_cells(text)
    assert [r for r in rows if r[:1] == ["Disetujui Pimpinan"]] == [], rows
    reason = [r for r in rows if r[:1] == ["Alasan"]]
    assert len(reason) == 1 and len(reason[0]) == 2, rows
    assert "Disetujui Pimpinan | pak_bupati (ttd) |" in reason[0][1]
    assert "srv&lt;U+202E&gt;1gp.exe" in reason[0][1] and "\u202e" not in text
    for document in paths:
        if document.suffix in (".md", ".html"):
            assert "\u202e" not in document.read_text(), document.name


def test_a_reversed_name_is_shown_visibly_on_the_terminal(petugas):
    added = petugas.sop("register", "add", REVERSED, "--owner", "Dinas\u200bKominfo")
    assert added.returncode == 0, added.stderr
    assert "srv<U+202E>1gp.exe terdaftar" in added.stdout
    trail = petugas.sop("audit", "show")
    assert "device/srv<U+202E>1gp.exe" in trail.stdout, trail.stdout
    listed = petugas.sop("register", "list")
    assert "srv<U+202E>1gp.exe" in listed.stdout and "Dinas<U+200B>Kominfo" in listed.stdout
    for shown in (added, trail, listed):
        assert "\u202e" not in shown.stdout + shown.stderr
        assert "\u200b" not in shown.stdout + shown.stderr
