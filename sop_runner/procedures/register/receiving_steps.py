"""SOP 1.1 run steps from the register: a request naming the ``delivery`` has its steps'
notes (and step 2's move to the staging area) from the delivery's records.

Step 1 says what arrived and whether it waits past its Mutu Baku (1 Hari), step 2
stages it (the lateness said, and sent as a notice), step 3 needs the completeness
check (`sop register delivery check`) and says its result.
"""

from __future__ import annotations

from typing import Any

from sop_runner.errors import SopError
from sop_runner.features import StepOutcome
from sop_runner.i18n import _
from sop_runner.procedures.register import receiving


def _late_words(over: Any) -> str:
    hours = round(over.total_seconds() / 3600, 1)
    return f"PERINGATAN: menunggu di loading dock {hours} jam melewati Mutu Baku 1 Hari"


def arrival(ctx: Any, request: Any, run_id: int, number: int, operator: str) -> StepOutcome | None:
    """Given a 1.1 run at step 1, return what arrived and whether it is late."""
    if "delivery" not in request.params:
        return None
    with ctx.session() as session:
        delivery = receiving.get_delivery(session, int(request.params["delivery"]))
        data = receiving.delivery_dict(session, delivery)
        over = receiving.late(delivery)
    items = ", ".join(f"{e['item']} ×{e['qty']}" for e in data["packing_list"])
    note = f"Diterima dari {data['vendor']} ({data['document']}): {items}"
    return StepOutcome(None, note + (f"; {_late_words(over)}" if over else ""), {"delivery": data})


def staging(ctx: Any, request: Any, run_id: int, number: int, operator: str) -> StepOutcome | None:
    """Given a 1.1 run at step 2, move the delivery to the staging area (once); return it,
    with the lateness said and sent as a notice."""
    if "delivery" not in request.params:
        return None
    delivery_id = int(request.params["delivery"])
    with ctx.session() as session:
        delivery = receiving.get_delivery(session, delivery_id)
        if delivery.staged_at is None:
            receiving.stage(session, delivery_id, operator, run_id)
        over = receiving.late(delivery)
        data = receiving.delivery_dict(session, delivery)
    note = "Dipindahkan ke area staging"
    if over:
        from sop_runner.notify import Notice, send

        note += f"; {_late_words(over)}"
        send(ctx, Notice("register.dock_overdue", f"Pengiriman {delivery_id} terlambat", note))
    return StepOutcome(None, note, {"delivery": data})


def completeness(
    ctx: Any, request: Any, run_id: int, number: int, operator: str
) -> StepOutcome | None:
    """Given a 1.1 run at step 3, return the completeness check's result.

    Raise SopError (the run waits) when the check has not been recorded yet.
    """
    if "delivery" not in request.params:
        return None
    delivery_id = int(request.params["delivery"])
    with ctx.session() as session:
        data = receiving.delivery_dict(session, receiving.get_delivery(session, delivery_id))
    if data["checked"] is None:
        raise SopError(
            _(
                "step 3: record the completeness check first: `sop register delivery check "
                "{delivery} --found ITEM=QTY …`"
            ).format(delivery=delivery_id)
        )
    short = [f"{r['item']} {r['found']}/{r['qty']}" for r in data["checked"] if not r["ok"]]
    note = "Lengkap sesuai packing list" if not short else "TIDAK lengkap: " + ", ".join(short)
    return StepOutcome(None, note, {"delivery": data})
