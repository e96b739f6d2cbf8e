"""The steps that label and draw: SOP 1.2 step 6 and SOP 3.2 steps 2–4 (step hooks).

The hook makes the files when the run reaches the step and hands their names to the step's
record (``data``); the person still confirms the step (signed): that the labels are on
and the schema is in place.  (A note from the hook would stand for the confirmation.)
"""

from __future__ import annotations

from typing import Any

from sop_runner import audit
from sop_runner.context import Context
from sop_runner.features import StepOutcome
from sop_runner.procedures.labels import service


def _sign_as(operator: str, run_id: int) -> service.Sign:
    def sign(session: Any, action: str, subject: str, data: dict[str, Any]) -> Any:
        return audit.append(session, operator, action, subject, {**data, "run": run_id})

    return sign


def _schema(ctx: Context, sign: service.Sign) -> dict[str, Any]:
    drawn = service.draw_schema(ctx, sign)
    return {
        "schema": {
            "version": drawn.version,
            "new": drawn.new,
            "files": [str(p) for p in drawn.files],
        }
    }


def install_labels(
    ctx: Context, request: Any, run_id: int, number: int, operator: str
) -> StepOutcome | None:
    """SOP 1.2 step 6: the device's labels (and both ends of its cables), and the schema."""
    sign = _sign_as(operator, run_id)
    device = request.params.get("device")
    data: dict[str, Any] = {}
    if device:
        data["labels"] = str(service.print_labels(ctx, sign, devices=[str(device)]))
    return StepOutcome(None, "", {**data, **_schema(ctx, sign)})


def device_labels(
    ctx: Context, request: Any, run_id: int, number: int, operator: str
) -> StepOutcome | None:
    """SOP 3.2 step 2: labels for every rack and device (code, name, QR to the register)."""
    path = service.print_labels(ctx, _sign_as(operator, run_id), what=("racks", "devices"))
    return StepOutcome(None, "", {"labels": str(path)})


def cable_labels(
    ctx: Context, request: Any, run_id: int, number: int, operator: str
) -> StepOutcome | None:
    """SOP 3.2 step 3: two labels per cable, one for each end, with the device codes."""
    path = service.print_labels(ctx, _sign_as(operator, run_id), what=("cables",))
    return StepOutcome(None, "", {"labels": str(path)})


def schema_step(
    ctx: Context, request: Any, run_id: int, number: int, operator: str
) -> StepOutcome | None:
    """SOP 3.2 step 4: the device schema drawn again from the register (previous kept)."""
    return StepOutcome(None, "", _schema(ctx, _sign_as(operator, run_id)))
