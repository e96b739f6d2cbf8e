"""The runner's events of a step, written to the store in one transaction after its play.

ansible-runner hands a step's events over when the play has ended (sop_runner/runner.py
runs it without a pty); they are written in one transaction at the step's end (the run
loop flushes), not one commit per 50 events: the 1,300 events of a 50-host 6.1 run took 26
commits (SQLite syncs each).  Only a play of more than _EVENT_FLUSH events commits early,
so memory stays bounded.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sop_runner.context import Context
from sop_runner.store.models import RunnerEvent

if TYPE_CHECKING:
    from sop_runner.execution import RunUI

_EVENT_FLUSH = 5000


class EventSink:
    """Given runner events, write them to the store in one transaction at the step's end."""

    def __init__(self, ctx: Context, run_id: int, step_number: int, ui: RunUI) -> None:
        self.ctx, self.run_id, self.step_number, self.ui = ctx, run_id, step_number, ui
        self.buffer: list[RunnerEvent] = []

    def __call__(self, event: dict[str, Any]) -> None:
        self.ui.event(event)
        data = event.get("event_data", {}) or {}
        res = data.get("res", {}) if isinstance(data.get("res"), dict) else {}
        self.buffer.append(
            RunnerEvent(
                run_id=self.run_id,
                step_number=self.step_number,
                counter=int(event.get("counter", 0)),
                event=str(event.get("event", "")),
                host=data.get("host"),
                task=data.get("task"),
                changed=bool(res.get("changed", False)),
                failed=event.get("event") in ("runner_on_failed", "runner_on_unreachable"),
                created=event.get("created"),
            )
        )
        if len(self.buffer) >= _EVENT_FLUSH:
            self.flush()

    def flush(self) -> None:
        if self.buffer:
            with self.ctx.session() as session:
                session.add_all(self.buffer)
            self.buffer = []
