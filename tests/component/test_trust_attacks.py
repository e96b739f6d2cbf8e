"""Issue 14's attacks, played by a petugas with an ordinary Unix account
(tests/support/office.py: the trust root root made, the petugas' account, the key
folders of budi, sari and ahmad)."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from sop_runner import keys
from sop_runner.audit import canonical
from sop_runner.trust import registry
from tests.support.attacker import as_user
from tests.support.office import Office, office_for
from tests.support.trust import operator_entries, publish_version

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0, reason="needs root: a root-owned trust file and a throwaway Unix user"
)

REQUEST = (
    "request", "6.1", "--target", "ctl1", "--reason", "disk penuh",
    "--param", "cleanup_path=/var/tmp/sop-attack", "--param", "max_age_days=30",
)  # fmt: skip
CONFIRM = ("--confirm", "2=analisis", "--confirm", "3=laporan", "--confirm", "4=rekomendasi")


@pytest.fixture
def office(tmp_path: Path) -> Iterator[Office]:
    with office_for(tmp_path) as made:
        yield made


def _request(office: Office) -> str:
    made = office.sop(*REQUEST)
    assert made.returncode == 0, made.stderr
    return made.stdout.split()[1]


def test_a_request_in_another_persons_name_without_their_key_is_refused(office):
    refused = office.sop(*REQUEST[:-4], *REQUEST[-4:], "--as", "sari", name=None)
    assert refused.returncode == 2 and len(refused.stderr.strip().splitlines()) == 1
    assert "kunci 'sari': tidak ditemukan" in refused.stderr, refused.stderr
    # A key he made himself under sari's name is not sari's key.
    forged = office.keys_of("budi")
    as_user(office.user, f"cp {keys.key_path(forged, 'budi')} {forged}/sari.ed25519")
    refused = office.sop(*REQUEST, "--as", "sari", name=None)
    assert refused.returncode == 2 and "bukan kunci sari di registri versi 1" in refused.stderr
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
    assert refused.returncode == 2 and "kunci 'sari': tidak ditemukan" in refused.stderr
    assert office.count("runs") == 0 and office.count("step_records") == 0


def test_confirmations_are_signed_by_who_confirms(office):
    request_id = _request(office)
    waiting = office.sop("run", request_id, *CONFIRM)  # stops at the approval gate (step 5)
    assert waiting.returncode == 3 and "memerlukan persetujuan sah" in waiting.stderr
    with sqlite3.connect(office.store) as conn:
        rows = conn.execute(
            "SELECT confirmed_by, signed FROM step_records WHERE kind = 'human'"
        ).fetchall()
    assert len(rows) == 3 and all(by == "budi" and '"signature"' in s for by, s in rows)
    assert office.sop("audit", "verify").returncode == 0


def test_a_petugas_cannot_approve_and_a_penanggung_jawab_cannot_file_as_budi(office):
    request_id = _request(office)
    mine = office.sop("approve", request_id)
    assert mine.returncode == 4 and "tidak dapat memutuskannya" in mine.stderr
    # sari holds sari's key only: she cannot make a request in budi's name.
    as_her = office.sop(*REQUEST, "--as", "budi", name="sari")
    assert as_her.returncode == 2 and "kunci 'budi': tidak ditemukan" in as_her.stderr


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
        assert "versi 2: ditandatangani 0 dari 1 kunci root yang diperlukan" in attempt.stderr, (
            attempt.stderr
        )
    verify = office.sop("operators", "verify", name=None)
    assert verify.returncode == 1 and "versi 2: ditandatangani 0 dari 1" in verify.stdout


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
    assert "tidak memegang peran penanggung_jawab di registri versi 2" in status.stdout
    run = office.sop("run", request_id, *CONFIRM)
    assert run.returncode == 3 and "memerlukan persetujuan sah" in run.stderr


@pytest.mark.parametrize(
    ("variable", "value", "words"),
    [
        ("SOP_DB_URL", "sqlite:////tmp/{user}-own.db", "sumber yang tidak dipercaya"),
        ("SOP_INVENTORY", "/tmp/{user}-inventory", "sumber yang tidak dipercaya"),
        ("SOP_OPERATORS_FILE", "/tmp/{user}-operators.yml", "operator hanya berasal dari"),
    ],
)
def test_pointing_sop_at_ones_own_store_inventory_or_operators_is_refused(
    office, variable, value, words
):
    request_id = _request(office)
    result = office.sop("status", request_id, **{variable: value.format(user=office.user)})
    assert result.returncode == 2 and words in result.stderr, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
