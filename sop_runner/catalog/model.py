"""The catalog's value types: texts in two languages, steps, procedures, the catalog."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sop_runner.catalog.durations import StandardTime
from sop_runner.errors import SopError

ROLES = ("pimpinan", "penanggung_jawab", "petugas")
# The roles as people read them (here, not in gates.py: `sop show` needs them without the store).
ROLE_NAMES = {
    "id": {"pimpinan": "Pimpinan", "penanggung_jawab": "Penanggung jawab", "petugas": "Petugas"},
    "en": {
        "pimpinan": "Head of office",
        "penanggung_jawab": "Person in charge",
        "petugas": "Officer",
    },
}
SUBJECTS = ("vendor", "tamu", "pengguna", "opd")
KINDS = ("human", "automated", "gate")
GATE_WHEN = ("always", "services_affected", "critical_services", "overwrite")
LANGS = ("id", "en")


@dataclass(frozen=True)
class Text:
    """A text in Indonesian (as printed in the SOP) and in English."""

    id: str
    en: str

    def get(self, lang: str = "id") -> str:
        """Given 'id' or 'en', return the text in that language.

        Raise SopError if lang is neither.
        """
        if lang == "id":
            return self.id
        if lang == "en":
            return self.en
        raise SopError(f"language {lang!r} is not allowed; use 'id' or 'en'")


@dataclass(frozen=True)
class Step:
    """One row of a procedure's table."""

    number: int
    doc_number: str
    activity: Text
    actor: str
    kind: str
    gate_role: str | None
    gate_when: str | None
    playbook: str | None
    prerequisite: Text | None
    standard_time: StandardTime | None
    standard_time_text: Text | None
    output: Text | None
    notes: Text | None
    # Alternative playbooks of an automated step, by the parameter that selects them.
    playbook_when_param: tuple[tuple[str, str], ...] = ()

    def playbook_for(self, params: dict[str, Any]) -> str | None:
        """Given a request's parameters, return the playbook this step runs for it."""
        for name, playbook in self.playbook_when_param:
            if name in params:
                return playbook
        return self.playbook

    @property
    def all_playbooks(self) -> tuple[str, ...]:
        """Return every playbook this step may run."""
        main = (self.playbook,) if self.playbook else ()
        return main + tuple(sorted({playbook for _, playbook in self.playbook_when_param}))

    @property
    def needs_approval(self) -> bool:
        """Return True when the step is an approval or may only run after one."""
        return self.gate_role is not None


@dataclass(frozen=True)
class Param:
    """One parameter a request of a procedure may fix, and the values it accepts.

    ``rules`` holds the type's constraints (minimum, pattern, enum, prefix, ...) as
    sorted (key, value) pairs with lists made tuples, so the catalog stays hashable;
    ``default`` is frozen the same way.  ``items`` is the spec of a list's entries,
    ``fields`` those of an object's keys.
    """

    name: str
    type: str
    description: Text
    required: bool = False
    has_default: bool = False
    default: Any = None
    derived: bool = False
    alternative_to: str | None = None
    rules: tuple[tuple[str, Any], ...] = ()
    items: Param | None = None
    fields: tuple[Param, ...] = ()

    def rule(self, key: str, default: Any = None) -> Any:
        """Given a constraint name, return its value (default when the spec has none)."""
        return dict(self.rules).get(key, default)


@dataclass(frozen=True)
class Procedure:
    """One SOP procedure: the narrative's framing and the table's steps."""

    id: str
    chapter: Text
    title: Text
    scope: Text
    goals: tuple[Text, ...]
    actors: tuple[str, ...]
    companion_documents: tuple[Text, ...]
    report: Text | None
    errata: tuple[Text, ...]
    steps: tuple[Step, ...]
    params: tuple[Param, ...] = ()
    # The longest an approval of it may be valid (catalog ``approval_max``, at most 30 days).
    approval_max: timedelta = timedelta(days=1)

    def param(self, name: str) -> Param | None:
        """Given a parameter name, return its spec (None when the procedure has none)."""
        for param in self.params:
            if param.name == name:
                return param
        return None

    def step(self, number: int) -> Step:
        """Given a step number (1..n), return the step.

        Raise SopError naming the allowed range if there is no such step.
        """
        if isinstance(number, int) and 1 <= number <= len(self.steps):
            return self.steps[number - 1]
        raise SopError(
            f"procedure {self.id} has no step {number!r}; its steps are 1–{len(self.steps)}"
        )

    @property
    def gates(self) -> tuple[Step, ...]:
        """Return the steps that are approvals or that need one before they run."""
        return tuple(s for s in self.steps if s.kind == "gate" or s.gate_role is not None)


@dataclass(frozen=True)
class Catalog:
    """All procedures in numeric order, and the errata of the document as a whole."""

    procedures: tuple[Procedure, ...]
    errata: tuple[Text, ...]

    @property
    def ids(self) -> tuple[str, ...]:
        """Return the procedure ids in numeric order."""
        return tuple(p.id for p in self.procedures)

    def get(self, procedure_id: str) -> Procedure:
        """Given a procedure id like '3.1', return the procedure.

        Raise SopError listing the known ids if there is no such procedure.
        """
        for procedure in self.procedures:
            if procedure.id == procedure_id:
                return procedure
        raise SopError(f"unknown procedure {procedure_id!r}; known: {', '.join(self.ids)}")
