"""Services and impact: which services a request touches, for how long, and whether
the document asks for a circular (surat edaran) to the OPDs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sop_runner.catalog import Procedure
from sop_runner.inventory import Inventory, Service


@dataclass(frozen=True)
class Impact:
    services: tuple[Service, ...]
    outage_min_seconds: int
    outage_max_seconds: int
    # The steps that stop or disturb the services (their standard times are the outage).
    interrupting_steps: tuple[int, ...] = ()
    # The document's circular step of the procedure applies to these services.
    circular: bool = False
    # The site keeps the project's own gates (site.yml project_gates, default true).
    project_gates: bool = True

    @property
    def services_affected(self) -> bool:
        return bool(self.services)

    @property
    def critical(self) -> tuple[Service, ...]:
        return tuple(s for s in self.services if s.criticality == "critical")

    @property
    def circular_required(self) -> bool:
        """Return True when a circular to the OPDs is drafted: only in a procedure whose
        text has that step (1.4 step 4, 4.1 step 4, 4.2 step 6), when its condition holds."""
        return self.circular

    @property
    def opds(self) -> tuple[str, ...]:
        return tuple(sorted({s.opd for s in self.services}))


def interrupting_steps(procedure: Procedure) -> tuple[int, ...]:
    """Given a procedure, return the numbers of the steps that interrupt service."""
    return tuple(s.number for s in procedure.steps if s.interrupts_service)


def _circular(procedure: Procedure, services: tuple[Service, ...]) -> bool:
    for step in procedure.circular_steps:
        if step.circular == "services_affected" and services:
            return True
        if step.circular == "critical_services" and any(
            s.criticality == "critical" for s in services
        ):
            return True
    return False


def analyse(
    procedure: Procedure,
    inventory: Inventory,
    targets: list[str],
    params: dict[str, Any] | None = None,
) -> Impact:
    """Given a procedure, its targets and the request's parameters, return the services
    hit, the outage estimate (the interrupting steps' standard times only) and whether
    the document's circular step applies.

    A procedure on places hits the services its request names (``services``, the
    petugas' plan of 1.4), none otherwise: a room is no host.
    """
    if procedure.target == "place":
        named = set((params or {}).get("services") or [])
        hit = tuple(s for s in inventory.services if s.name in named)
    else:
        hit = tuple(s for s in inventory.services if set(s.hosts) & set(targets))
    numbers = interrupting_steps(procedure)
    low = high = 0
    for number in numbers:
        standard = procedure.step(number).standard_time
        if standard is not None:
            low += standard.min_seconds
            high += standard.max_seconds
    return Impact(
        services=hit,
        outage_min_seconds=low,
        outage_max_seconds=high,
        interrupting_steps=numbers,
        circular=_circular(procedure, hit),
        project_gates=inventory.site.project_gates,
    )
