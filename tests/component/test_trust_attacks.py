"""Issue 14's attacks, played by a petugas with an ordinary Unix account.

Root (the test) sets up a trust root: a root-owned trust file naming the store,
an inventory of the controller and a registry signed by the pimpinan's root
key, with budi (petugas; his Unix user is the throwaway account), sari
(penanggung jawab) and ahmad (pimpinan).  Every `sop` below runs as that
account.  budi's key folder holds his own key only; sari's and ahmad's actions
are run with their own key folders (what they hold on their own accounts).
"""

from __future__ import annotations

import os
import pwd
import shutil
import sqlite3
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from sop_runner import keys
from sop_runner.audit import canonical
from sop_runner.trust import registry
from tests.support.attacker import as_user, sop, throwaway_user
from tests.support.trust import TrustSetup, make_trust_root, operator_entries, publish_version

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0, reason="needs root: a root-owned trust file and a throwaway Unix user"
)

REQUEST = (
    "request", "6.1", "--target", "ctl1", "--reason", "disk penuh",
    "--param", "cleanup_path=/var/tmp/sop-attack", "--param", "max_age_days=30",
)  # fmt: skip
CONFIRM = ("--confirm", "2=analisis", "--confirm", "3=laporan", "--confirm", "4=rekomendasi")


@dataclass
class Office:
    """The control node of the test: its trust root, the petugas' account, the key folders."""

    setup: TrustSetup
    user: str
    home: Path
    store: Path

    def keys_of(self, name: str) -> Path:
        return self.home / f"keys-{name}"

    def env(self, name: str | None = "budi", **extra: str) -> dict[str, str]:
        env = {
            "SOP_TRUST_FILE": str(self.setup.trust_file),
            "SOP_KEY_DIR": str(self.keys_of(name or "budi")),
            "SOP_DATA_DIR": str(self.home / "data"),
            **extra,
        }
        return env

    def sop(self, *args: str, name: str | None = "budi", **extra: str):  # type: ignore[no-untyped-def]
        """Run `sop` on the petugas' account with the key folder of `name`, acting as `name`
        unless --as says otherwise (None: no operator named, the Unix user decides)."""
        env = self.env(name, **extra)
        if name:
            env["SOP_OPERATOR"] = name
        return sop(*args, env=env, user=self.user)

    def count(self, table: str) -> int:
        with sqlite3.connect(self.store) as conn:
            return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


@pytest.fixture
def office(tmp_path: Path) -> Iterator[Office]:
    with throwaway_user() as user:
        info = pwd.getpwnam(user)
        home = Path(info.pw_dir)
        inventory = home / "inventory"
        as_user(user, "mkdir -p inventory data")
        (inventory / "hosts.yml").write_text(
            "all:\n  children:\n    servers:\n      hosts:\n        ctl1: "
            f"{{ansible_connection: local, ansible_python_interpreter: {sys.executable}}}\n"
        )
        (inventory / "services.yml").write_text(
            "services:\n  - {name: portal, title: Portal, opd: Diskominfo, criticality: normal,"
            " hosts: [ctl1]}\n"
        )
        store = home / "data" / "sop.db"
        roster = {"ahmad": ["pimpinan"], "sari": ["penanggung_jawab"], "budi": ["petugas"]}
        setup = make_trust_root(
            roster,
            tmp_path / "root-keys",
            store=f"sqlite:///{store}",
            inventory=inventory,
            unix_users={"budi": user, "sari": "sari-account", "ahmad": "ahmad-account"},
        )
        office = Office(setup, user, home, store)
        for name in roster:  # each person's own key, in a folder of their own
            folder = office.keys_of(name)
            folder.mkdir(mode=0o700)
            shutil.copy(keys.key_path(setup.key_dir, name), folder)
            for path in (folder, *folder.iterdir()):
                os.chown(path, info.pw_uid, info.pw_gid)
            os.chmod(keys.key_path(folder, name), 0o600)
        for path in (inventory, *inventory.iterdir()):
            os.chown(path, info.pw_uid, info.pw_gid)
        yield office
        setup.remove()


def _request(office: Office) -> str:
    made = office.sop(*REQUEST)
    assert made.returncode == 0, made.stderr
    return made.stdout.split()[1]


def test_a_request_in_another_persons_name_without_their_key_is_refused(office):
    refused = office.sop(*REQUEST[:-4], *REQUEST[-4:], "--as", "sari", name=None)
    assert refused.returncode == 2 and len(refused.stderr.strip().splitlines()) == 1
    assert "key of 'sari': not found" in refused.stderr, refused.stderr
    # A key he made himself under sari's name is not sari's key.
    forged = office.keys_of("budi")
    as_user(office.user, f"cp {keys.key_path(forged, 'budi')} {forged}/sari.ed25519")
    refused = office.sop(*REQUEST, "--as", "sari", name=None)
    assert refused.returncode == 2 and "is not sari's key in registry version 1" in refused.stderr
    assert not office.store.exists() or office.count("requests") == 0


def test_the_unix_user_is_the_default_operator_and_signs_the_request(office):
    made = office.sop(*REQUEST, name=None)  # no --as: budi, by the registry's mapping
    assert made.returncode == 0, made.stderr
    with sqlite3.connect(office.store) as conn:
        requested_by, signed = conn.execute("SELECT requested_by, signed FROM requests").fetchone()
    assert requested_by == "budi" and '"signature"' in signed


def test_a_confirmation_in_another_persons_name_without_their_key_is_refused(office):
    request_id = _request(office)
    refused = office.sop("run", request_id, *CONFIRM, "--as", "sari", name=None)
    assert refused.returncode == 2 and "key of 'sari': not found" in refused.stderr
    assert office.count("runs") == 0 and office.count("step_records") == 0


def test_confirmations_are_signed_by_who_confirms(office):
    request_id = _request(office)
    waiting = office.sop("run", request_id, *CONFIRM)  # stops at the approval gate (step 5)
    assert waiting.returncode == 2 and "needs a valid approval" in waiting.stderr
    with sqlite3.connect(office.store) as conn:
        rows = conn.execute(
            "SELECT confirmed_by, signed FROM step_records WHERE kind = 'human'"
        ).fetchall()
    assert len(rows) == 3 and all(by == "budi" and '"signature"' in s for by, s in rows)
    assert office.sop("audit", "verify").returncode == 0


def test_a_petugas_cannot_approve_and_a_penanggung_jawab_cannot_file_as_budi(office):
    request_id = _request(office)
    mine = office.sop("approve", request_id)
    assert mine.returncode == 2 and "cannot decide on it" in mine.stderr
    # sari holds sari's key only: she cannot make a request in budi's name.
    as_her = office.sop(*REQUEST, "--as", "budi", name="sari")
    assert as_her.returncode == 2 and "key of 'budi': not found" in as_her.stderr


def test_a_role_given_in_the_registry_without_the_pimpinan_stops_every_gate(office):
    request_id = _request(office)
    # What a petugas who can write to the registry folder would add: himself as
    # penanggung jawab, signed with his own key (not a root key).
    entries = operator_entries(office.setup, {"ahmad": ["pimpinan"], "sari": ["penanggung_jawab"]})
    entries.append(
        {**operator_entries(office.setup, {"budi": ["petugas"]})[0],
         "roles": ["petugas", "penanggung_jawab"], "unix_user": office.user}
    )  # fmt: skip
    doc, _ = registry.propose(office.setup.trust, {"operators": entries}, datetime.now(UTC))
    own_key = keys.load_key(office.keys_of("budi"), "budi")
    doc.signatures = [
        {"keyid": "ahmad", "signature": own_key.sign(canonical(doc.signed).encode()).hex()}
    ]
    registry.write_document(office.setup.registry / "2.json", doc)
    for attempt in (
        office.sop("approve", request_id, name="sari"),
        office.sop("run", request_id, *CONFIRM),
        office.sop("status", request_id),
    ):
        assert attempt.returncode == 2, attempt.stdout
        assert "version 2: signed by 0 of 1 required root keys" in attempt.stderr, attempt.stderr
    verify = office.sop("operators", "verify", name=None)
    assert verify.returncode == 1 and "version 2: signed by 0 of 1" in verify.stdout


def test_an_approval_stops_holding_when_its_signer_loses_the_role(office):
    request_id = _request(office)
    assert office.sop("approve", request_id, name="sari").returncode == 0
    publish_version(
        office.setup,
        [
            *operator_entries(office.setup, {"ahmad": ["pimpinan"]}),
            {
                **operator_entries(office.setup, {"sari": ["petugas"]})[0],
                "unix_user": "sari-account",
            },
            {**operator_entries(office.setup, {"budi": ["petugas"]})[0], "unix_user": office.user},
        ],
    )
    status = office.sop("status", request_id, name=None)
    assert "does not hold the role penanggung_jawab in registry version 2" in status.stdout
    run = office.sop("run", request_id, *CONFIRM)
    assert run.returncode == 2 and "needs a valid approval" in run.stderr


@pytest.mark.parametrize(
    ("variable", "value", "words"),
    [
        ("SOP_DB_URL", "sqlite:////tmp/{user}-own.db", "is an untrusted source"),
        ("SOP_INVENTORY", "/tmp/{user}-inventory", "is an untrusted source"),
        ("SOP_OPERATORS_FILE", "/tmp/{user}-operators.yml", "operators come only from"),
    ],
)
def test_pointing_sop_at_ones_own_store_inventory_or_operators_is_refused(
    office, variable, value, words
):
    request_id = _request(office)
    result = office.sop("status", request_id, **{variable: value.format(user=office.user)})
    assert result.returncode == 2 and words in result.stderr, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
