"""The document's branch a failed automated step takes (catalog ``when_failed``, issue 16).

"Jika gagal … dibatalkan": SOP 3.1's change that fails its test is rolled back inside
its step and the run ends "dibatalkan"; SOP 4.1's failed test (step 6) is step 7's
"batal", taken with the failure as the signed reason.  The steps between are
"tidak berlaku", the run and its request are closed with the reason.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sop_runner.answers import Timing
from sop_runner.catalog import Procedure, Step
from sop_runner.context import Context
from sop_runner.operators import Acting
from sop_runner.store.models import Run


def take(
    ctx: Context,
    run: Run,
    request_id: int,
    procedure: Procedure,
    step: Step,
    why: str,
    acting: Acting,
) -> str:
    """Given an automated step that failed for ``why`` and has a failure branch, record
    the branch (the choice signed by the operator, the steps between "tidak berlaku"),
    end the run and its request as the branch says, and return how it ended."""
    # execution imports this module; its recording functions are looked up at call time.
    from sop_runner import execution

    failed = step.when_failed
    assert failed is not None
    last, ending = step, failed.ends_run
    if failed.step is not None:
        target = procedure.step(failed.step)
        choice = target.choice(str(failed.choice))
        assert choice is not None and choice.ends_run is not None  # catalog/branches.py
        for between in procedure.steps[step.number : failed.step - 1]:
            note = f"tidak berlaku: gagal pada langkah {step.doc_number}"
            execution._not_applicable(ctx, run, between, acting, note)
        now = datetime.now(UTC)
        execution._finish_step(
            ctx,
            run,
            target,
            now,
            "done" if choice.step_applies else "not_applicable",
            acting,
            why,
            {"choice": choice.key, "after_failed_step": step.number},
            timing=Timing(now, now, "unknown"),
        )
        last, ending = target, choice.ends_run
    assert ending is not None
    execution._end_early(ctx, run, request_id, procedure, last, ending, acting, because=why)
    return ending
