"""`sop operators` and the trust file as a petugas meets them on the control node.

The tests run as root and make their own trust root (tests/support/trust.py);
the attacks are played as a throwaway non-root Unix user, created here with
useradd and removed afterwards, through `runuser -u USER --`.
"""

from __future__ import annotations

import json
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from sop_runner.audit import canonical
from sop_runner.config import REPO_ROOT
from sop_runner.keys import public_key_b64
from sop_runner.trust import registry
from sop_runner.trust.init import trust_document
from sop_runner.trust.trustfile import load_trust
from tests.support.attacker import as_user, sop, throwaway_user
from tests.support.trust import TrustSetup, make_trust_root, operator_entries

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0, reason="needs root: a root-owned trust file and a throwaway Unix user"
)

OPERATORS = {"ahmad": ["pimpinan"], "sari": ["penanggung_jawab"], "budi": ["petugas"]}


@pytest.fixture
def trust_root(tmp_path: Path) -> Iterator[TrustSetup]:
    setup = make_trust_root(OPERATORS, tmp_path / "keys")
    yield setup
    setup.remove()


@pytest.fixture
def petugas() -> Iterator[str]:
    """A throwaway ordinary Unix user: who a petugas on the control node is."""
    with throwaway_user() as name:
        yield name


def test_a_trust_file_owned_by_a_non_root_user_is_refused(trust_root, petugas):
    theirs = trust_root.folder / "theirs.yml"
    shutil.copy(trust_root.trust_file, theirs)
    os.chown(theirs, pwd.getpwnam(petugas).pw_uid, -1)
    result = sop("operators", "verify", env={"SOP_TRUST_FILE": str(theirs)})
    assert result.returncode == 2, result
    assert result.stdout == ""
    assert f"dimiliki {petugas} (uid " in result.stderr
    assert "bukan root; kepercayaan hanya datang dari berkas milik root" in result.stderr


def test_a_non_root_user_verifies_against_the_root_owned_trust_file(trust_root, petugas):
    env = {"SOP_TRUST_FILE": str(trust_root.trust_file)}
    result = sop("operators", "verify", env=env, user=petugas)
    assert result.returncode == 0, result
    assert result.stdout.startswith("registri operator sah: 1 versi, versi saat ini 1")
    shown = sop("operators", "show", "--json", env=env, user=petugas)
    assert [o["name"] for o in json.loads(shown.stdout)["operators"]] == ["ahmad", "budi", "sari"]


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        (
            None,
            "registri operator sah: 1 versi, versi saat ini 1 dengan 3 operator, "
            "ditandatangani ahmad (1 dari 1 kunci root yang diperlukan)\n",
        ),
        (
            "en",
            "operators registry valid: 1 version(s), current version 1 with 3 operator(s), "
            "signed by ahmad (1 of 1 required root keys)\n",
        ),
    ],
)
def test_operators_verify_speaks_the_persons_language(trust_root, lang, expected):
    env = {"SOP_TRUST_FILE": str(trust_root.trust_file)} | ({"SOP_LANG": lang} if lang else {})
    result = sop("operators", "verify", env=env)
    assert (result.returncode, result.stdout) == (0, expected), result.stderr


def _own_trust_root(home: Path, user: str) -> tuple[str, str]:
    """The petugas's own trust file and registry version 1, with himself as pimpinan."""
    key = Ed25519PrivateKey.generate()
    public = public_key_b64(key)
    text = trust_document(
        {user: public},
        1,
        "sqlite:////tmp/x.db",
        REPO_ROOT / "inventory",
        home / "evil" / "registry",
    )
    signed = {
        "version": 1,
        "previous": None,
        "issued_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "operators": [
            {
                "name": user,
                "unix_user": user,
                "roles": ["pimpinan", "penanggung_jawab", "petugas"],
                "public_key": public,
                "full_name": "Saya Sendiri",
                "nip": None,
                "jabatan": "Semua",
            }
        ],
    }
    version = {
        "signed": signed,
        "signatures": [{"keyid": user, "signature": key.sign(canonical(signed).encode()).hex()}],
    }
    return text, json.dumps(version)


def test_a_petugas_pointing_sop_trust_file_at_his_own_file_is_refused(petugas):
    home = Path(pwd.getpwnam(petugas).pw_dir)
    text, version = _own_trust_root(home, petugas)
    as_user(petugas, "mkdir -p evil/registry && cat > evil/trust.yml", text)
    as_user(petugas, "cat > evil/registry/1.json", version)
    as_user(petugas, "cat > /tmp/$(id -un)-trust.yml", text)
    # Only ownership stops it: read as if his uid were trusted, it is a valid trust root.
    his = load_trust(home / "evil" / "trust.yml", owner_uid=pwd.getpwnam(petugas).pw_uid)
    assert registry.verify(his) == []
    for path in (home / "evil" / "trust.yml", Path(f"/tmp/{petugas}-trust.yml")):
        result = sop("operators", "verify", env={"SOP_TRUST_FILE": str(path)}, user=petugas)
        assert result.returncode == 2, result
        assert f"dimiliki {petugas} (uid " in result.stderr
        assert "bukan root" in result.stderr and result.stdout == ""
    os.unlink(f"/tmp/{petugas}-trust.yml")


def test_a_petugas_cannot_give_himself_a_role(trust_root, petugas):
    env = {"SOP_TRUST_FILE": str(trust_root.trust_file)}
    made = sop("keys", "init", "--as", petugas, env=env, user=petugas)
    assert made.returncode == 0, made
    his_key = made.stdout.split("public_key: ")[1].split()[0]
    entries = operator_entries(trust_root, OPERATORS)
    entries.append(
        {
            "name": petugas,
            "unix_user": petugas,
            "roles": ["penanggung_jawab"],
            "public_key": his_key,
            "full_name": "Petugas Uji",
            "jabatan": "Petugas Pusat Data",
        }
    )
    as_user(petugas, "cat > ops.yml", yaml.safe_dump({"operators": entries}))
    home = pwd.getpwnam(petugas).pw_dir
    draft = f"{home}/draft.json"
    proposed = sop("operators", "propose", f"{home}/ops.yml", "--out", draft, env=env, user=petugas)
    assert proposed.returncode == 0, proposed  # anyone may propose; only the root signs
    assert f"operator '{petugas}' ditambahkan sebagai penanggung_jawab" in proposed.stdout
    # In the pimpinan's name without the pimpinan's key: refused, nothing written.
    before = Path(draft).read_text()
    as_pimpinan = sop("operators", "sign", "--as", "ahmad", draft, env=env, user=petugas)
    assert as_pimpinan.returncode == 2 and "kunci 'ahmad': tidak ditemukan" in as_pimpinan.stderr
    # With his own key: not a root key.
    as_himself = sop("operators", "sign", "--as", petugas, draft, env=env, user=petugas)
    assert as_himself.returncode == 2, as_himself
    assert "bukan kunci root berkas kepercayaan" in as_himself.stderr
    assert Path(draft).read_text() == before
    assert sorted(os.listdir(trust_root.registry)) == ["1.json"]


def test_propose_sign_show_verify(trust_root, tmp_path):
    env = {"SOP_TRUST_FILE": str(trust_root.trust_file), "SOP_KEY_DIR": str(trust_root.key_dir)}
    entries = operator_entries(trust_root, {**OPERATORS, "eko": ["petugas"]})
    (tmp_path / "ops.yml").write_text(yaml.safe_dump({"operators": entries}))
    draft = tmp_path / "draft.json"
    proposed = sop("operators", "propose", str(tmp_path / "ops.yml"), "--out", str(draft), env=env)
    assert proposed.returncode == 0, proposed
    assert f"SHA-256 {registry.read_document(draft).digest}" in proposed.stdout
    # Dropped into the registry unsigned, as a petugas who could write there would.
    shutil.copy(draft, trust_root.registry / "2.json")
    broken = sop("operators", "verify", env=env)
    assert broken.returncode == 1
    assert (
        "versi 2: ditandatangani 0 dari 1 kunci root yang diperlukan "
        "(operator 'eko' ditambahkan sebagai petugas tanpa tanda tangan pimpinan)"
    ) in broken.stdout
    assert sop("operators", "show", env=env).returncode == 2  # nothing shown unverified
    (trust_root.registry / "2.json").unlink()
    signed = sop("operators", "sign", "--as", "ahmad", str(draft), env=env)
    assert signed.returncode == 0, signed
    assert "kunci root 'ahmad' (SHA256:" in signed.stdout and "1 dari 1" in signed.stdout
    assert f"diterbitkan: {trust_root.registry / '2.json'}" in signed.stdout
    verified = sop("operators", "verify", env=env)
    assert verified.returncode == 0 and "2 versi, versi saat ini 2" in verified.stdout
    shown = json.loads(sop("operators", "show", "--json", env=env).stdout)
    assert "eko" in [o["name"] for o in shown["operators"]]
    assert shown["history"][1]["changes"] == ["operator 'eko' ditambahkan sebagai petugas"]
    old = sop("operators", "show", "--version", "1", "--lang", "en", env=env)
    assert old.returncode == 0 and "Operators registry version 1" in old.stdout
    assert "eko" not in old.stdout.split("Version history:")[0]


def test_trust_init_creates_the_trust_root_on_a_fresh_machine():
    folder = Path(tempfile.mkdtemp(prefix="sop-trust-init-", dir="/var/tmp"))
    os.chmod(folder, 0o755)
    public = public_key_b64(Ed25519PrivateKey.generate())
    init = [sys.executable, "-m", "sop_runner.trust.init", "--trust-file", str(folder / "t.yml")]
    init += ["--root-key", f"ahmad={public}", "--inventory", "/srv/inv"]
    init += ["--registry", str(folder / "registry")]
    try:
        made = subprocess.run(init, capture_output=True, text=True, cwd=REPO_ROOT, check=False)
        assert made.returncode == 0, made
        info = (folder / "t.yml").stat()
        assert (info.st_uid, oct(info.st_mode & 0o7777)) == (0, "0o644")
        assert oct((folder / "registry").stat().st_mode & 0o7777) == "0o755"
        again = subprocess.run(init, capture_output=True, text=True, cwd=REPO_ROOT, check=False)
        assert again.returncode == 2 and "sudah ada; pakai --force" in again.stderr
        empty = sop("operators", "verify", env={"SOP_TRUST_FILE": str(folder / "t.yml")})
        assert (
            empty.returncode == 1 and "belum berisi versi apa pun; usulkan versi 1" in empty.stdout
        )
    finally:
        shutil.rmtree(folder)
