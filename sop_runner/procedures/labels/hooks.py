"""The steps that label and draw: SOP 1.2 step 6 and SOP 3.2 steps 2–4 (step hooks).

The hook makes the files when the run reaches the step; the step's note names them, and
the person's confirmation (signed) says the labels are on and the schema is in place.
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


def _schema_note(ctx: Context, sign: service.Sign) -> tuple[str, dict[str, Any]]:
    drawn = service.draw_schema(ctx, sign)
    state = "diperbarui" if drawn.new else "tidak berubah"
    note = f"skema perangkat versi {drawn.version} ({state}): " + ", ".join(
        str(p) for p in drawn.files
    )
    return note, {"schema": {"version": drawn.version, "new": drawn.new}}


def install_labels(
    ctx: Context, request: Any, run_id: int, number: int, operator: str
) -> StepOutcome | None:
    """SOP 1.2 step 6: the device's labels (and both ends of its cables), and the schema."""
    sign = _sign_as(operator, run_id)
    device = request.params.get("device")
    parts, data = [], {}
    if device:
        path = service.print_labels(ctx, sign, devices=[str(device)])
        parts.append(f"label: {path}")
        data["labels"] = path.name
    note, schema = _schema_note(ctx, sign)
    return StepOutcome(None, "; ".join([*parts, note]), {**data, **schema})


def device_labels(
    ctx: Context, request: Any, run_id: int, number: int, operator: str
) -> StepOutcome | None:
    """SOP 3.2 step 2: labels for every rack and device (code, name, QR to the register)."""
    path = service.print_labels(ctx, _sign_as(operator, run_id), what=("racks", "devices"))
    return StepOutcome(None, f"label perangkat dan rack: {path}", {"labels": path.name})


def cable_labels(
    ctx: Context, request: Any, run_id: int, number: int, operator: str
) -> StepOutcome | None:
    """SOP 3.2 step 3: two labels per cable, one for each end, with the device codes."""
    path = service.print_labels(ctx, _sign_as(operator, run_id), what=("cables",))
    return StepOutcome(None, f"label kabel (2 ujung): {path}", {"labels": path.name})


def schema_step(
    ctx: Context, request: Any, run_id: int, number: int, operator: str
) -> StepOutcome | None:
    """SOP 3.2 step 4: the device schema drawn again from the register (previous kept)."""
    note, data = _schema_note(ctx, _sign_as(operator, run_id))
    return StepOutcome(None, note, data)
