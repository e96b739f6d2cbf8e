"""The audit trail's witness on the lab's backup host: account sopwitness, forced command.

The account's only command is scripts/sop-witness (append one checkpoint, or
print the log); its authorized_keys line is `command="…",restrict` and owned
by root; the log lives in a root-owned directory and is append-only
(`chattr +a`) where the filesystem allows.  The controller holds the key
that may reach it and the backup host's pinned host key, under
/var/lib/sop-lab/ssh/, so tests can write a trust file pointing at it.
"""

from __future__ import annotations

import pwd
from pathlib import Path

from sop_runner.config import REPO_ROOT
from sop_runner.lab import plan
from sop_runner.lab.access import add_account
from sop_runner.lab.files import ROOT, ensure_dir, write
from sop_runner.lab.proc import run

HOST = "backup"
USER = "sopwitness"
FIRST_UID = 1901
COMMAND = "/usr/local/bin/sop-witness"
LOG_DIR = "/var/lib/sop-witness"
LOG = f"{LOG_DIR}/checkpoints.log"
KEY = plan.SSH_DIR / "witness_ed25519"
KNOWN_HOSTS = plan.SSH_DIR / "witness_known_hosts"
SCRIPT = REPO_ROOT / "scripts" / "sop-witness"


def ensure_key() -> str:
    """Given the lab's ssh dir, return the witness public key (the pair made once)."""
    if not KEY.exists():
        run(
            ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "sop-lab-witness", "-f", str(KEY)]
        )
    return KEY.with_suffix(".pub").read_text().strip()


def _free_uid() -> int:
    uid = FIRST_UID
    while True:
        try:
            pwd.getpwuid(uid)
        except KeyError:
            return uid
        uid += 1


def install(upper: Path) -> bool:
    """Given the backup host's upper layer, return whether the witness log is append-only.

    Adds the account (its shell /bin/sh runs only the forced command), its
    root-owned authorized_keys, the command, and the empty log.
    """
    public = ensure_key()
    home = f"/home/{USER}"
    try:  # the controller has the account already (its files are the host's lower layer)
        uid = pwd.getpwnam(USER).pw_uid
    except KeyError:
        uid = _free_uid()
        # Appended to the host's own passwd (made earlier with the admin account), not a copy.
        add_account(upper, ROOT, f"{USER}:x:{uid}:{uid}:sop-pusatdata audit witness:{home}:/bin/sh")
    ensure_dir(upper, "/home", ROOT)
    forced = f'command="{COMMAND} --log {LOG}",restrict {public}\n'
    # Root's file in root's directory: the account cannot give itself another command.
    write(upper, f"{home}/.ssh/authorized_keys", forced, mode=0o644)
    (upper / home.lstrip("/")).chmod(0o755)
    (upper / f"{home}/.ssh".lstrip("/")).chmod(0o755)
    write(upper, COMMAND, SCRIPT.read_bytes(), mode=0o755)
    ensure_dir(upper, LOG_DIR, ROOT, mode=0o755)
    log = write(upper, LOG, "", mode=0o640, owner=(uid, uid))
    return run(["chattr", "+a", str(log)], check=False).returncode == 0


def write_known_hosts() -> None:
    """Given the backup host's key pair, return once its pinned known_hosts file exists."""
    host_key = (plan.SSH_DIR / f"host_{HOST}_ed25519.pub").read_text().split()
    KNOWN_HOSTS.write_text(f"{plan.host(HOST).address} {host_key[0]} {host_key[1]}\n")


def release(upper: Path) -> None:
    """Given the backup host's upper layer, return once the log may be removed again."""
    log = upper / LOG.lstrip("/")
    if log.exists():
        run(["chattr", "-a", str(log)], check=False)


def state(append_only: bool) -> dict[str, object]:
    """Given whether the log is append-only, return the witness part of the lab state."""
    return {
        "host": HOST,
        "address": plan.host(HOST).address,
        "port": 22,
        "user": USER,
        "identity_file": str(KEY),
        "known_hosts": str(KNOWN_HOSTS),
        "log": LOG,
        "command": COMMAND,
        "append_only": append_only,
    }
