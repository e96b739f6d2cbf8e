"""Who changes the register: a person's signed action, or a run's recorder acting for them.

A command a person types (`sop register …`) passes their ``Acting``: the change's
audit entry carries their ed25519 signature (sop_runner/trust/actions.py).  A
recorder of a signed run (4.1, 5.1, 1.2) passes the operator's name: the run's
start is the signed action and the entry names the run.
"""

from __future__ import annotations

from typing import Any, Protocol

from sqlalchemy.orm import Session

from sop_runner import audit


class Signer(Protocol):
    """A person acting now (sop_runner.operators.Acting)."""

    @property
    def name(self) -> str: ...

    def sign(self, session: Session, action: str, subject: str, data: dict[str, Any]) -> dict: ...


Actor = str | Signer


def actor_name(actor: Actor) -> str:
    """Given who acts, return their name."""
    return actor if isinstance(actor, str) else actor.name


def record(session: Session, actor: Actor, action: str, subject: str, data: dict[str, Any]) -> None:
    """Given a change of the register, append its audit entry, signed when a person acts."""
    if isinstance(actor, str):
        audit.append(session, actor, action, subject, data)
    else:
        actor.sign(session, action, subject, data)
