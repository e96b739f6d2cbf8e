"""What the person at the terminal says about human steps, given ahead of a run.

``sop run --confirm STEP=NOTE --choose STEP=KEY --time STEP=START/END|DURATION
--person [STEP=]NAME``: the note (a branch's reason), the branch taken, when the
work really started and ended (through the one duration grammar,
sop_runner/durations.py), and who of a vendor's or guest's party did it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sop_runner import durations
from sop_runner.errors import SopError
from sop_runner.i18n import _

# Nothing a person does in one step of the document lasts longer than a week.
LONGEST_STEP = timedelta(days=7)


@dataclass(frozen=True)
class Timing:
    """When a human step's work started and ended; ``measured`` says how it is known."""

    started: datetime
    ended: datetime
    how: str  # measured (prompt shown → confirmed) | given (--time) | unknown

    @property
    def seconds(self) -> float | None:
        """Return the duration, or None when it is not known (never a made-up 0)."""
        if self.how == "unknown":
            return None
        return (self.ended - self.started).total_seconds()


@dataclass
class Answers:
    """The notes, choices, times and persons given for a run's human steps, by step."""

    notes: dict[int, str] = field(default_factory=dict)
    choices: dict[int, str] = field(default_factory=dict)
    times: dict[int, str] = field(default_factory=dict)
    persons: dict[int, str] = field(default_factory=dict)
    # --person NAME without a step: whoever of the party did every subject step.
    person: str | None = None

    def steps(self) -> set[int]:
        """Return every step number an answer names."""
        return set(self.notes) | set(self.choices) | set(self.times) | set(self.persons)


def pairs(entries: list[str], option: str, what: str) -> dict[int, str]:
    """Given STEP=VALUE entries of an option, return them by step.

    Raise SopError naming the option when an entry is not STEP=VALUE.
    """
    result: dict[int, str] = {}
    for entry in entries:
        number, sep, value = entry.partition("=")
        if not sep or not number.strip().isdigit() or not value.strip():
            raise SopError(
                _("{option}: {entry!r} is not STEP={what}").format(
                    option=option, entry=entry, what=what
                )
            )
        result[int(number)] = value.strip()
    return result


def persons(entries: list[str]) -> tuple[dict[int, str], str | None]:
    """Given --person entries (STEP=NAME or NAME), return the named ones and the default."""
    named = pairs([e for e in entries if e.partition("=")[0].strip().isdigit()], "--person", "NAME")
    plain = [e.strip() for e in entries if not e.partition("=")[0].strip().isdigit()]
    if any(not p for p in plain) or len(plain) > 1:
        raise SopError(_("--person: give NAME once (every step of the party) or STEP=NAME"))
    return named, (plain[0] if plain else None)


def given_timing(text: str, step: int, now: datetime) -> Timing:
    """Given a --time value (START/END in ISO 8601 with offset, or a duration ending now),
    return the timing.

    Raise SopError naming the step when it is neither, ends before it starts, lies in
    the future, or lasts longer than a week.
    """
    field_name = f"--time {step}"
    if "/" in text:
        start_text, _slash, end_text = text.partition("/")
        try:
            start, end = datetime.fromisoformat(start_text), datetime.fromisoformat(end_text)
        except ValueError:
            raise SopError(
                _(
                    "{field}: {text!r} is not START/END in ISO 8601 with offset "
                    "(2025-06-01T09:00+07:00/2025-06-01T09:40+07:00) nor a duration like 40m"
                ).format(field=field_name, text=text)
            ) from None
        if start.tzinfo is None or end.tzinfo is None:
            raise SopError(
                _("{field}: {text!r}: give the offset (+07:00) with each time").format(
                    field=field_name, text=text
                )
            )
        start, end = start.astimezone(UTC), end.astimezone(UTC)
    else:
        length = durations.parse(text, field_name, maximum=LONGEST_STEP)
        start, end = now - length, now
    if end <= start:
        raise SopError(
            _("{field}: {text!r} ends before it starts").format(field=field_name, text=text)
        )
    if end > now + timedelta(minutes=5):
        raise SopError(
            _("{field}: {text!r} ends in the future").format(field=field_name, text=text)
        )
    if end - start > LONGEST_STEP:
        raise SopError(
            _("{field}: {text!r} is longer than allowed; allowed: up to 7d").format(
                field=field_name, text=text
            )
        )
    return Timing(start, end, "given")
