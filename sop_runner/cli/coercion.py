"""typer's coercion of plain values without pydantic: text, flags and whole numbers.

typer coerces every value through a pydantic TypeAdapter it builds when a command
is made, and importing pydantic costs a `sop` start a third of its time (`sop
list`) or a fifth (`sop status ID`, for its integer argument).  What sop's
commands take is mostly plain: text, flags and whole numbers, coerced here the
way the adapter does, with the same error for a bad number (cli/usage.py reads
it).  Other types (paths, lists) keep pydantic.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


class NotAWholeNumber(ValueError):
    """A value that is not an integer, shaped as pydantic's error (``errors()``) for usage.py."""

    def __init__(self, value: Any) -> None:
        super().__init__(f"{value!r} is not a whole number")
        self.value = value

    def errors(self) -> list[dict[str, Any]]:
        """Return the error as pydantic's ValidationError.errors() lists it."""
        return [{"type": "int_parsing", "input": self.value, "msg": str(self)}]


def whole_number(value: Any) -> int:
    """Given a command-line value, return it as an int. Raise NotAWholeNumber if it is not
    one (bool, a fraction, text)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            pass
    raise NotAWholeNumber(value)


def without_pydantic() -> None:
    """Let typer take text, flags and whole numbers as typed, without importing pydantic.

    For a ``str`` without a parser the adapter only hands back the text argv holds,
    and a flag is True, False or absent (sop has no bool option taking a value, no
    envvar): typer's own PassThroughRuntimeParam does the same.  An ``int`` is read
    by ``whole_number``.  On a typer without these internals nothing is changed
    (only slower).
    """
    try:
        from typer import core
        from typer._click.exceptions import BadParameter
        from typer._coercion import PassThroughRuntimeParam, RuntimeParam
    except ImportError:
        return
    build = core.build_runtime_param
    if getattr(build, "without_pydantic", False):  # done already
        return

    @dataclass(frozen=True)
    class WholeNumberParam(RuntimeParam):
        def _coerce_value(self, value: Any, param: Any, ctx: Any) -> Any:
            try:
                return whole_number(value)
            except NotAWholeNumber as exc:
                raise BadParameter(str(exc), ctx=ctx, param=param) from exc

    def build_runtime_param(descriptor: Any) -> Any:
        plain = descriptor.file_annotation is None and descriptor.parameter_info.parser is None
        if plain and descriptor.annotation in (str, bool):
            return PassThroughRuntimeParam(
                parameter_info=descriptor.parameter_info, annotation=descriptor.annotation
            )
        if plain and descriptor.annotation is int:
            return WholeNumberParam(
                parameter_info=descriptor.parameter_info, annotation=descriptor.annotation
            )
        return build(descriptor)

    build_runtime_param.without_pydantic = True  # type: ignore[attr-defined]
    core.build_runtime_param = build_runtime_param
