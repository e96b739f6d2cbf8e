"""The catalog's value types: texts in two languages, steps, procedures, the catalog."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sop_runner.catalog.durations import StandardTime
from sop_runner.errors import SopError
from sop_runner.i18n import _

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
# How a run may end early at a step of the document: "instalasi ditunda" or "dibatalkan".
ENDINGS = ("postponed", "cancelled")
# What a procedure acts on: inventory hosts, or places (a site's rooms: 1.1, 1.4, 2.x, 6.3, 6.4).
TARGET_KINDS = ("host", "place")


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
        raise SopError(_("language {lang!r} is not allowed; use 'id' or 'en'").format(lang=lang))


@dataclass(frozen=True)
class Choice:
    """One way a branch of the document may go (``tersedia`` / ``tidak_tersedia``)."""

    key: str
    text: Text
    # Taking it ends the run after this step ("ditunda" / "dibatalkan").
    ends_run: str | None = None
    # False when, under this choice, the step itself does not apply (recorded
    # "tidak berlaku" with the signed reason: "batalkan jika gagal" when it did not fail).
    step_applies: bool = True


@dataclass(frozen=True)
class Condition:
    """When a step applies: a choice made at an earlier step of the run, or a
    parameter the request fixed (known when the request is made, so gates can use it)."""

    step: int | None = None
    choice: str | None = None
    param: str | None = None
    equals: Any = None

    def describe(self, lang: str = "id") -> str:
        """Given a language, return the condition in words."""
        if self.step is not None:
            return ("langkah" if lang == "id" else "step") + f" {self.step} = {self.choice}"
        return f"{self.param} = {self.equals!r}"


@dataclass(frozen=True)
class WhenFailed:
    """The branch an automated step's failure takes: a choice at a later step (4.1 step 7
    "batal") or, the test being inside the step itself (3.1), the run's ending."""

    step: int | None = None
    choice: str | None = None
    ends_run: str | None = None

    def describe(self, lang: str = "id") -> str:
        """Given a language, return the branch in words ("langkah 7 = batal")."""
        if self.step is not None:
            return ("langkah" if lang == "id" else "step") + f" {self.step} = {self.choice}"
        words = {"id": {"postponed": "ditunda", "cancelled": "dibatalkan"}}
        return words.get(lang, {}).get(str(self.ends_run), str(self.ends_run))


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
    # The document's branches (issue 16): the choices this step decides, when the step
    # applies at all, and how the run ends after it ("ditunda", "dibatalkan").
    choices: tuple[Choice, ...] = ()
    applies_when: Condition | None = None
    ends_run: str | None = None
    # Whether the step stops or disturbs the services of its targets (the outage).
    interrupts_service: bool = False
    # When the step is the document's surat edaran: services_affected or critical_services.
    circular: str | None = None
    # "document": the table or narrative asks for the approval; "project": this
    # project's own rule (a restore over live data, retention), which settings may switch off.
    gate_rule: str = "document"
    # The earlier steps a gate decides on (4.2: the Pimpinan after the analysis): it can
    # be approved only once they are recorded done (catalog ``gate.after``).
    gate_after: tuple[int, ...] = ()
    # What a failure of this automated step does ("jika gagal … dibatalkan"); None: it
    # stops the run, resumable.
    when_failed: WhenFailed | None = None
    # The step applies only to requests carrying / not carrying a parameter (catalog
    # ``applies``); otherwise it is recorded "tidak berlaku" with this note.
    applies_when_param: str | None = None
    applies_unless_param: str | None = None
    not_applicable: Text | None = None

    def applies(self, params: dict[str, Any]) -> bool:
        """Given a request's parameters, return whether this step applies to it."""
        if self.applies_when_param is not None and self.applies_when_param not in params:
            return False
        return self.applies_unless_param is None or self.applies_unless_param not in params

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
        return main + tuple(sorted({playbook for _when, playbook in self.playbook_when_param}))

    def choice(self, key: str) -> Choice | None:
        """Given a choice key, return the choice (None when the step has no such choice)."""
        return next((c for c in self.choices if c.key == key), None)

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
    # What its targets are: inventory hosts, or places of the site (rooms).
    target: str = "host"
    # The time_window parameter the petugas plans the service interruption in.
    window_param: str | None = None

    @property
    def names_pimpinan(self) -> bool:
        """Return True when the document gives the Pimpinan a part in this procedure."""
        return "pimpinan" in self.actors or any(
            "pimpinan" in s.activity.id.lower() for s in self.steps
        )

    @property
    def circular_steps(self) -> tuple[Step, ...]:
        """Return the steps that are the document's surat edaran."""
        return tuple(s for s in self.steps if s.circular is not None)

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
            _("procedure {id} has no step {number!r}; its steps are 1–{last}").format(
                id=self.id, number=number, last=len(self.steps)
            )
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
        raise SopError(
            _("unknown procedure {id!r}; known: {known}").format(
                id=procedure_id, known=", ".join(self.ids)
            )
        )
