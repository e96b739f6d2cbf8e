"""The document's branches in the catalog: choices, conditions, early endings (issue 16).

"Jika tidak tersedia … instalasi ditunda", "jika gagal … dibatalkan", "vendor yang
belum berkoordinasi … meminta izin": a step may decide a choice, a later step may
apply only under one choice (or under a parameter the request fixed), and a step
may end the run.  These checks span several steps, so the schema cannot make them.
"""

from __future__ import annotations

from typing import Any

from sop_runner.catalog.model import Choice, Condition, Step, Text


class BranchError(Exception):
    """A branch that points nowhere: the field's pointer and what is allowed."""

    def __init__(self, pointer: str, message: str) -> None:
        super().__init__(f"{pointer}: {message}")
        self.pointer = pointer
        self.message = message


def choices_of(raw: dict[str, Any]) -> tuple[Choice, ...]:
    """Given a schema-valid step mapping, return its choices.

    Raise BranchError if a key is repeated.
    """
    result: list[Choice] = []
    for index, entry in enumerate(raw.get("choices") or []):
        if any(c.key == entry["key"] for c in result):
            raise BranchError(f"choices/{index}/key", f"{entry['key']!r} is listed twice")
        result.append(
            Choice(
                entry["key"],
                Text(entry["text"]["id"], entry["text"]["en"]),
                ends_run=entry.get("ends_run"),
                step_applies=bool(entry.get("step_applies", True)),
            )
        )
    return tuple(result)


def condition_of(raw: dict[str, Any]) -> Condition | None:
    """Given a schema-valid step mapping, return when it applies (None: always).

    Raise BranchError unless it is exactly {step, choice} or {param, equals}.
    """
    spec = raw.get("applies_when")
    if spec is None:
        return None
    keys = set(spec)
    if keys == {"step", "choice"}:
        return Condition(step=spec["step"], choice=spec["choice"])
    if keys == {"param", "equals"}:
        return Condition(param=spec["param"], equals=spec["equals"])
    raise BranchError(
        "applies_when", "must be {step: N, choice: KEY} or {param: NAME, equals: VALUE}"
    )


def check(steps: tuple[Step, ...], param_names: set[str]) -> None:
    """Given a procedure's steps and its parameters' names, check its branches.

    Raise BranchError (pointer relative to the procedure) when a condition names
    a later step, a step without that choice, or an unknown parameter; when a
    gate depends on a choice made in the run (gates are fixed with the request);
    or when a step that ends the run applies always.
    """
    for step in steps:
        at = f"steps/{step.number - 1}"
        cond = step.applies_when
        if cond is not None and cond.step is not None:
            if not 1 <= cond.step < step.number:
                raise BranchError(
                    f"{at}/applies_when/step",
                    f"{cond.step} is not an earlier step; allowed: 1–{step.number - 1}",
                )
            decider = steps[cond.step - 1]
            if decider.choice(str(cond.choice)) is None:
                allowed = ", ".join(c.key for c in decider.choices) or "none (it has no choices)"
                raise BranchError(
                    f"{at}/applies_when/choice",
                    f"{cond.choice!r} is not a choice of step {cond.step}; allowed: {allowed}",
                )
            if step.gate_role is not None:
                raise BranchError(
                    f"{at}/applies_when",
                    "a gate is fixed with the request, so it may only depend on a parameter "
                    "({param, equals})",
                )
        if cond is not None and cond.param is not None and cond.param not in param_names:
            allowed = ", ".join(sorted(param_names)) or "none"
            raise BranchError(
                f"{at}/applies_when/param",
                f"{cond.param!r} is not a parameter of this procedure; allowed: {allowed}",
            )
        if step.ends_run is not None and cond is None:
            raise BranchError(
                f"{at}/ends_run",
                "a step that ends the run must apply only on its branch (applies_when)",
            )
        _check_after(step, at)
        _check_when_failed(step, steps, at)
        if step.choices and step.kind != "human":
            raise BranchError(f"{at}/choices", "only a human step decides a choice")


def _check_after(step: Step, at: str) -> None:
    """Given a step, raise BranchError unless the steps its gate decides on come before it."""
    seen: set[int] = set()
    for number in step.gate_after:
        if not 1 <= number < step.number:
            raise BranchError(
                f"{at}/gate/after",
                f"{number} is not an earlier step; allowed: 1–{step.number - 1}",
            )
        if number in seen:
            raise BranchError(f"{at}/gate/after", f"{number} is listed twice")
        seen.add(number)


def _check_when_failed(step: Step, steps: tuple[Step, ...], at: str) -> None:
    """Given a step, raise BranchError unless its failure branch is an automated step's
    and is either a run ending, or a later step's choice that ends the run."""
    failed = step.when_failed
    if failed is None:
        return
    if step.kind != "automated":
        raise BranchError(f"{at}/when_failed", "only an automated step fails by itself")
    if (failed.step is None) == (failed.ends_run is None) or (failed.step is None) != (
        failed.choice is None
    ):
        raise BranchError(f"{at}/when_failed", "must be {step: N, choice: KEY} or {ends_run: HOW}")
    if failed.step is None:
        return
    if not step.number < failed.step <= len(steps):
        raise BranchError(
            f"{at}/when_failed/step",
            f"{failed.step} is not a later step; allowed: {step.number + 1}–{len(steps)}",
        )
    choice = steps[failed.step - 1].choice(str(failed.choice))
    if choice is None or choice.ends_run is None:
        ending = [c.key for c in steps[failed.step - 1].choices if c.ends_run]
        raise BranchError(
            f"{at}/when_failed/choice",
            f"{failed.choice!r} is no choice of step {failed.step} that ends the run; "
            f"allowed: {', '.join(ending) or 'none'}",
        )


def applies(step: Step, params: dict[str, Any], decided: dict[int, str]) -> bool:
    """Given a step, the request's parameters and the choices made so far, return
    whether the step applies (not when its deciding step did not apply itself)."""
    cond = step.applies_when
    if cond is None:
        return True
    if cond.param is not None:
        return params.get(cond.param) == cond.equals
    return decided.get(cond.step or 0) == cond.choice
