"""Callback plugin: a gated play's events and results into the sop store, whoever ran it.

`sop run` records its steps itself (through ansible-runner's events); a plain
ansible-playbook or an AWX job has no such caller, so this plugin does it: it watches
the sop_gate task's result (which request, step and run the gate let through), gathers
the play's events, and at the end hands everything to sop_runner/play_records.py, which
writes the same step record, companion records and audit entry as `sop run`.
"""

from __future__ import annotations

DOCUMENTATION = r"""
name: sop_records
type: notification
short_description: Record a gated play's events and results in the sop store
description:
  - Loaded from the repository's ansible.cfg (C(callback_plugins)); as part of the
    collection, enable it with C(callbacks_enabled = tegal.sop_pusatdata.sop_records).
  - After a play whose sop_gate task let a request's step through, writes the step
    record (times against the Mutu Baku), the set_stats companion records, the events and
    the audit entry, as C(sop run) does for its own steps.
  - Does nothing inside C(sop run) (it records its steps itself), in check mode, or for a
    play without a gate.
requirements:
  - the sop_runner package, importable by Ansible's Python
"""

import os  # noqa: E402
from datetime import UTC, datetime  # noqa: E402
from typing import Any  # noqa: E402

from ansible.plugins.callback import CallbackBase  # noqa: E402


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "notification"
    CALLBACK_NAME = "sop_records"
    CALLBACK_NEEDS_ENABLED = False

    def __init__(self) -> None:
        super().__init__()
        self._started = datetime.now(UTC)
        self._playbook = "?"
        self._gate: dict[str, Any] | None = None
        self._events: list[dict[str, Any]] = []

    def _event(self, name: str, result: Any = None, task: Any = None) -> None:
        res = result._result if result is not None else {}
        task = task or (result._task if result is not None else None)
        self._events.append(
            {
                "counter": len(self._events) + 1,
                "event": name,
                "host": result._host.get_name() if result is not None else None,
                "task": task.get_name() if task is not None else None,
                "changed": bool(res.get("changed", False)),
                "failed": name in ("runner_on_failed", "runner_on_unreachable"),
                "created": datetime.now(UTC).isoformat(),
            }
        )

    def v2_playbook_on_start(self, playbook: Any) -> None:
        self._playbook = os.path.basename(getattr(playbook, "_file_name", "?"))
        self._event("playbook_on_start")

    def v2_playbook_on_task_start(self, task: Any, is_conditional: bool) -> None:
        self._event("playbook_on_task_start", task=task)

    def v2_runner_on_ok(self, result: Any) -> None:
        if result._task.action.split(".")[-1] == "sop_gate" and "sop_gate" in result._result:
            self._gate = dict(result._result["sop_gate"])
        self._event("runner_on_ok", result)

    def v2_runner_on_failed(self, result: Any, ignore_errors: bool = False) -> None:
        self._event("runner_on_failed", result)

    def v2_runner_on_unreachable(self, result: Any) -> None:
        self._event("runner_on_unreachable", result)

    def v2_runner_on_skipped(self, result: Any) -> None:
        self._event("runner_on_skipped", result)

    def v2_playbook_on_stats(self, stats: Any) -> None:
        self._event("playbook_on_stats")
        # Inside `sop run` (it names its run to the play) the run loop records the step.
        if self._gate is None or os.environ.get("SOP_RUN_ID"):
            return
        counts = {
            key: dict(getattr(stats, key, {}) or {})
            for key in ("ok", "changed", "dark", "failures", "skipped", "rescued", "ignored")
        }
        counts["processed"] = {host: 1 for host in getattr(stats, "processed", {})}
        data = dict((getattr(stats, "custom", {}) or {}).get("_run", {}))
        try:
            from sop_runner.context import Context
            from sop_runner.inventory import plain_data
            from sop_runner.play_records import record_play

            record_play(
                Context(),
                self._gate,
                self._playbook,
                self._started,
                datetime.now(UTC),
                counts,
                plain_data(data),
                self._events,
            )
        except Exception as exc:  # the play is over: say why nothing was recorded
            self._display.warning(f"sop_records: the play's records were not written ({exc})")
