"""Services and impact: which services a request touches, and for how long."""

from __future__ import annotations

from dataclasses import dataclass

from sop_runner.catalog import Procedure
from sop_runner.inventory import Inventory, Service


@dataclass(frozen=True)
class Impact:
    services: tuple[Service, ...]
    outage_min_seconds: int
    outage_max_seconds: int

    @property
    def services_affected(self) -> bool:
        return bool(self.services)

    @property
    def critical(self) -> tuple[Service, ...]:
        return tuple(s for s in self.services if s.criticality == "critical")

    @property
    def circular_required(self) -> bool:
        """A circular (surat edaran) to the OPDs is needed when a critical service is hit."""
        return bool(self.critical)

    @property
    def opds(self) -> tuple[str, ...]:
        return tuple(sorted({s.opd for s in self.services}))


def execution_steps(procedure: Procedure) -> tuple[int, ...]:
    """Given a procedure, return the step numbers that act on the targets.

    Those are the steps after the last gate (the work itself, its test and
    its records); with no gate, the automated steps.  Their standard times
    bound the service window.
    """
    gate_numbers = [s.number for s in procedure.steps if s.kind == "gate"]
    if gate_numbers:
        last_gate = max(gate_numbers)
        return tuple(s.number for s in procedure.steps if s.number > last_gate)
    return tuple(s.number for s in procedure.steps if s.kind == "automated")


def analyse(procedure: Procedure, inventory: Inventory, targets: list[str]) -> Impact:
    """Given a procedure and its targets, return the services hit and the outage estimate."""
    hit = tuple(s for s in inventory.services if set(s.hosts) & set(targets))
    low = high = 0
    numbers = set(execution_steps(procedure))
    for step in procedure.steps:
        if step.number in numbers and step.standard_time is not None:
            low += step.standard_time.min_seconds
            high += step.standard_time.max_seconds
    return Impact(services=hit, outage_min_seconds=low, outage_max_seconds=high)
