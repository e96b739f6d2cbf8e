"""The terminal side of a run: progress display and confirmation prompts."""

from __future__ import annotations

import sys
from typing import Any

from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn
from rich.prompt import Prompt

from sop_runner.catalog import Procedure, Step
from sop_runner.execution import RunUI
from sop_runner.i18n import tr
from sop_runner.store.models import StepRecord
from sop_runner.terminal import SafeConsole

CHOICE_PROMPT = {
    "id": "Langkah {n} bercabang — {activity}\nPilih ({keys})",
    "en": "Step {n} is a branch — {activity}\nChoose ({keys})",
}
PERSON_PROMPT = {
    "id": "Langkah {n} dilakukan oleh {actor}: nama orangnya (kosong = berhenti di sini)",
    "en": "Step {n} is done by the {actor}: the person's name (empty = stop here)",
}
PROMPT = {
    "id": "Konfirmasi langkah {n} — {activity}\nCatatan (kosong = berhenti di sini)",
    "en": "Confirm step {n} — {activity}\nNote (empty = stop here)",
}


class TerminalUI(RunUI):
    """Given a procedure, show a progress bar over its steps and ask for confirmations."""

    def __init__(self, procedure: Procedure, lang: str, interactive: bool) -> None:
        self.lang = lang
        self.interactive = interactive
        self.console = SafeConsole(stderr=True, soft_wrap=True)
        self.progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            console=self.console,
            transient=False,
            disable=not self.console.is_terminal,
        )
        self.task = self.progress.add_task(procedure.title.get(lang), total=len(procedure.steps))

    def __enter__(self) -> TerminalUI:
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()

    def step_started(self, step: Step) -> None:
        self.progress.update(
            self.task, description=f"{step.number}. {step.activity.get(self.lang)[:60]}"
        )

    def step_ended(self, step: Step, record: StepRecord) -> None:
        mark = "✓" if record.status == "done" else "–"
        over = " (!)" if record.over_standard else ""
        # Unknown is "—", never a made-up 0 seconds.
        took = "—" if record.duration_seconds is None else f"{record.duration_seconds:.1f}s"
        self.console.print(
            f"{mark} {step.number}. {step.activity.get(self.lang)[:70]} "
            f"[{tr(record.status, self.lang)}, {took}{over}]",
            markup=False,
            highlight=False,
        )
        self.progress.advance(self.task)

    def event(self, event: dict[str, Any]) -> None:
        if event.get("event") == "playbook_on_task_start":
            task = (event.get("event_data") or {}).get("task", "")
            self.progress.update(self.task, description=f"  ansible: {task[:60]}")

    def ask_confirmation(self, step: Step) -> str | None:
        if not (self.interactive and sys.stdin.isatty()):
            return None
        self.progress.stop()
        try:
            note = Prompt.ask(
                PROMPT[self.lang].format(n=step.number, activity=step.activity.get(self.lang)),
                console=self.console,
                default="",
            )
        finally:
            self.progress.start()
        return note.strip() or None

    def _ask(self, text: str, choices: list[str] | None = None) -> str | None:
        if not (self.interactive and sys.stdin.isatty()):
            return None
        self.progress.stop()
        try:
            answer = Prompt.ask(text, console=self.console, default="", choices=choices)
        finally:
            self.progress.start()
        return answer.strip() or None

    def ask_choice(self, step: Step) -> str | None:
        keys = [c.key for c in step.choices]
        lines = "\n".join(f"  {c.key}: {c.text.get(self.lang)}" for c in step.choices)
        text = CHOICE_PROMPT[self.lang].format(
            n=step.number, activity=step.activity.get(self.lang), keys=", ".join(keys)
        )
        return self._ask(f"{lines}\n{text}", keys)

    def ask_person(self, step: Step) -> str | None:
        return self._ask(PERSON_PROMPT[self.lang].format(n=step.number, actor=step.actor))
