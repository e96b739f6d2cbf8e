"""The gate asks for the keys: after `sop_gate` passes, a certificate for this play.

Called by the sop_gate action plugin inside ansible-playbook (plain, through `sop
run`, or under AWX).  An ephemeral ed25519 key is made in memory, the issuer
certifies it for the request's step (or, for a check-mode run without a request,
for a plan), and key and certificate go into the ssh-agent of this run
($SSH_AUTH_SOCK; `sop run` starts one per run) for the certificate's lifetime.
Every SSH connection of the play authenticates with it; nothing else can.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from sop_runner import keys
from sop_runner.errors import SopError
from sop_runner.i18n import _
from sop_runner.issuer import agent
from sop_runner.issuer.ask import Ask, now_text
from sop_runner.issuer.client import ask_issuer
from sop_runner.issuer.policy import sftp_host

if TYPE_CHECKING:
    from sop_runner.context import Context


def _run_id() -> int | None:
    """Return the run `sop run` names in the play's environment (None for a plain play)."""
    text = os.environ.get("SOP_RUN_ID", "")
    return int(text) if text.isdigit() else None


def _plan_ask(public: str, hosts: list[str]) -> Ask:
    """Given the key to certify and the hosts, return the ask of a check run without a
    request: root's service alone may make it (no operator, the kernel names the caller)."""
    if os.geteuid() != 0:
        raise SopError(
            _(
                "a check run without a request gets no certificate on a person's account: "
                "make a request (`sop request`), or let root's service (CI/AWX) render the plan"
            )
        )
    return Ask(kind="plan", operator="root", public_key=public, asked_at=now_text(),
               targets=tuple(sorted(set(hosts))), signature="-")  # fmt: skip


def certificate_for_play(
    ctx: Context,
    request_id: int | None,
    step: int | None,
    hosts: list[str],
    repository: object = None,
) -> str:
    """Given the request and step a gate let through (None, None for a check run without
    a request), load a certificate for the play's hosts into the run's agent.

    A check run's certificate also names the host of its SFTP ``repository`` (the backup
    plays reach it), as a request's does (sop_runner/issuer/policy.py).

    Return one line for the task's result.  Raise SopError when the trust file names
    an issuer and no certificate can be had (no agent, the issuer refuses or is down).
    """
    try:
        issuer = ctx.settings.trust.issuer
    except SopError:
        if request_id is not None:
            raise
        # A check run without a request and without a trust root: nothing to ask for.
        return "no trust file readable here: no issuer to ask for this check run"
    if issuer is None:
        return "no issuer in the trust file: hosts are reached with the inventory's credentials"
    socket_path = os.environ.get("SSH_AUTH_SOCK")
    if not socket_path:
        raise SopError(
            _(
                "no ssh-agent for this play ($SSH_AUTH_SOCK is not set): the step's certificate "
                "lives only in an agent; run the play through `sop run`, or as "
                "`ssh-agent ansible-playbook …`"
            )
        )
    key = Ed25519PrivateKey.generate()
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
        .decode()
    )
    if request_id is None:
        reached = sftp_host(repository)
        extra = [reached] if reached and reached in ctx.inventory.hosts else []
        signed = _plan_ask(public, [*hosts, *extra])
    else:
        acting = ctx.actor(os.environ.get("SOP_OPERATOR") or None)
        ask = Ask(
            kind="step",
            operator=acting.name,
            public_key=public,
            asked_at=now_text(),
            request=request_id,
            run=_run_id(),
            step=step,
        )
        signed = ask.signed_with(lambda text: keys.sign(acting.key_dir, acting.name, text))
    reply = ask_issuer(issuer.socket, signed)
    ends = datetime.fromisoformat(reply["valid_before"])
    lifetime = int((ends - datetime.now(UTC)).total_seconds())
    agent.add_certificate(socket_path, key, reply["certificate"], reply["key_id"], lifetime)
    return (
        f"certificate '{reply['key_id']}' (serial {reply['serial']}) for "
        f"{', '.join(reply['principals'])} until {reply['valid_before']}"
    )
