"""Who may log in to a lab host, and how: the certificate authority, not standing keys.

Every host trusts the lab's CA (``TrustedUserCAKeys``) and accepts a certificate
for an account only with a principal its ``AuthorizedPrincipalsFile`` lists:
``root`` (the automation account) the host's own name, srv1's ``vendor`` account
``vendor@srv1`` (SOP 2.4 remote users).  Revoked certificates are in a KRL
(``RevokedKeys``).  No key of the controller is in root's authorized_keys.

The lab's own set-up and the tests' ``lab.ssh`` log in as ``sopadmin``, a second
uid-0 account, with the lab's admin key, listed only in a root-owned file for that
account; its principals file is empty, so no certificate opens it, and the admin key
opens no other account.  sshd itself keeps the two paths apart, and its log says
which was used (``Accepted publickey for sopadmin`` / ``for root … ID sop request …``).
"""

from __future__ import annotations

import os
from pathlib import Path

from sop_runner.lab import plan
from sop_runner.lab.files import ROOT, copy_from_lower, write
from sop_runner.lab.proc import run

CA_PUBLIC = "/etc/ssh/sop_user_ca.pub"
PRINCIPALS_DIR = "/etc/ssh/sop_principals"
ADMIN_KEYS_DIR = "/etc/ssh/sop_admin_keys"
REVOKED_KEYS = "/etc/ssh/sop_revoked_keys"

SSHD_LINES = f"""\
# Certificates of the sop issuer only (sop_runner/lab/access.py, docs/security.md).
TrustedUserCAKeys {CA_PUBLIC}
AuthorizedPrincipalsFile {PRINCIPALS_DIR}/%u
RevokedKeys {REVOKED_KEYS}
# Standing keys: the admin account's root-owned list, and the accounts' own files
# (the restic repository keys the backup steps authorize on the backup host).
AuthorizedKeysFile {ADMIN_KEYS_DIR}/%u .ssh/authorized_keys
"""


def ensure_ca() -> str:
    """Given the lab's state dir, return the CA's public key line (the pair made once)."""
    from sop_runner.issuer.__main__ import init_ca

    plan.CA_DIR.mkdir(parents=True, exist_ok=True)
    plan.CA_DIR.chmod(0o700)
    if not plan.CA_KEY.exists():
        init_ca(plan.CA_KEY, force=True)
    return plan.CA_KEY.with_name(plan.CA_KEY.name + ".pub").read_text()


def empty_krl() -> bytes:
    """Given the CA's public key, return a KRL that revokes nothing (sshd wants a file)."""
    krl = plan.CA_DIR / "empty.krl"
    if not krl.exists():
        public = plan.CA_KEY.with_name(plan.CA_KEY.name + ".pub")
        run(["ssh-keygen", "-q", "-k", "-f", str(krl), "-s", str(public), "/dev/null"])
    return krl.read_bytes()


def add_account(top: Path, lower: Path, line: str, group: bool = True) -> None:
    """Given a layer, its lower layer and a passwd line, return once the host has the account
    (its passwd, group and shadow copied up first when the layer has none of its own) and,
    unless group is False or its gid is 0, a group of its own."""
    name, gid = line.split(":")[0], line.split(":")[3]
    for rel in ("etc/passwd", "etc/group", "etc/shadow"):
        if not (top / rel).exists():
            copy_from_lower(top, rel, lower)
    if any(
        existing.split(":")[0] == name for existing in (top / "etc/passwd").read_text().splitlines()
    ):
        return
    with (top / "etc/passwd").open("a") as f:
        f.write(line + "\n")
    with (top / "etc/shadow").open("a") as f:
        f.write(f"{name}:*:20000:0:99999:7:::\n")
    if group and gid != "0":
        with (top / "etc/group").open("a") as f:
            f.write(f"{name}:x:{gid}:\n")


def install(name: str, top: Path, admin_key: str, lower: Path = ROOT) -> None:
    """Given a host, its layer and the admin public key, return once it trusts the CA,
    lists its principals, and has the admin account (and, on srv1, the vendor account)."""
    write(top, CA_PUBLIC, ensure_ca(), lower=lower)
    write(top, REVOKED_KEYS, empty_krl(), lower=lower)
    write(top, f"{PRINCIPALS_DIR}/root", f"{name}\n", lower=lower)
    write(top, f"{ADMIN_KEYS_DIR}/{plan.ADMIN_USER}", admin_key, lower=lower)
    add_account(top, lower, f"{plan.ADMIN_USER}:x:0:0:sop-lab admin:/root:/bin/bash")
    if name == plan.VENDOR_HOST:
        user, uid = plan.VENDOR_USER, plan.VENDOR_UID
        home = f"/home/{user}"
        add_account(top, lower, f"{user}:x:{uid}:{uid}:SOP 2.4 remote users:{home}:/bin/bash")
        write(top, f"{PRINCIPALS_DIR}/{user}", f"{user}@{name}\n", lower=lower)
        write(top, f"{home}/.profile", "# sop-lab vendor account\n", owner=(uid, uid), lower=lower)
        os.chown(top / home.lstrip("/"), uid, uid)
        (top / home.lstrip("/")).chmod(0o750)
