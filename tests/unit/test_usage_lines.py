"""Usage errors of typer's bundled click as one line naming what and what is allowed (issue 17)."""

from __future__ import annotations

from typing import Annotated

import pytest
import typer
from typer._click.exceptions import UsageError

from sop_runner import i18n
from sop_runner.cli.usage import one_line

app = typer.Typer(no_args_is_help=True)
group = typer.Typer(no_args_is_help=True)
app.add_typer(group, name="backup")


@app.command()
def status(request_id: int) -> None:
    """Show a request."""


@group.command()
def schedule(target: Annotated[str, typer.Option("--target", help="host to back up")]) -> None:
    """Print the schedule."""


@group.command()
def overdue() -> None:
    """Show what is late."""


def _error(*args: str) -> UsageError:
    with pytest.raises(UsageError) as caught:
        app(list(args), standalone_mode=False, prog_name="sop")
    return caught.value


@pytest.fixture(autouse=True)
def english(monkeypatch):
    monkeypatch.setattr(i18n, "_chosen", "en")


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (["stauts"], "'stauts' is not a command; allowed: status, backup"),
        (["status", "abc"],
         "status: REQUEST_ID: 'abc' is not allowed; allowed: a whole number, like 12"),
        (["status", "1", "2"], "status: 2: unexpected argument; see `sop status --help`"),
        (["status", "1", "--bogus"], "status: --bogus: no such option; allowed: --help"),
        (["backup"],
         "backup: a command is needed; allowed: schedule, overdue (see `sop backup --help`)"),
        (["backup", "schedule"],
         "backup schedule: --target is missing; it is required (host to back up)"),
        (["backup", "schedule", "--target"], "--target needs a value"),
    ],
)  # fmt: skip
def test_each_usage_error_is_one_line_naming_what_is_allowed(args, line):
    assert one_line(_error(*args)) == line


def test_the_line_is_indonesian_by_default(monkeypatch):
    monkeypatch.setattr(i18n, "_chosen", "id")
    assert one_line(_error("stauts")) == "'stauts' bukan perintah; pilihan: status, backup"


def test_an_error_it_does_not_know_is_still_one_line():
    error = UsageError("Something\nnew   happened.")
    assert one_line(error) == "Something new happened."


def test_a_whole_number_read_without_pydantic_is_refused_in_the_same_words():
    from sop_runner.cli.coercion import NotAWholeNumber, whole_number, without_pydantic

    without_pydantic()
    light = typer.Typer()

    @light.command()
    def status(request_id: int) -> None:
        """Show a request."""

    with pytest.raises(UsageError) as caught:
        light(["abc"], standalone_mode=False, prog_name="sop")
    assert isinstance(caught.value.__cause__, NotAWholeNumber)
    assert one_line(caught.value) == (
        "REQUEST_ID: 'abc' is not allowed; allowed: a whole number, like 12"
    )
    assert [whole_number(v) for v in ("12", " 7 ", "-3", 5)] == [12, 7, -3, 5]
    for bad in ("1.5", "", True, 2.0):
        with pytest.raises(NotAWholeNumber):
            whole_number(bad)
