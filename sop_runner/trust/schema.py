"""The trust documents' JSON schemas (schemas/*.yaml) and one-line errors naming the field."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, best_match
from referencing import Registry, Resource

from sop_runner import yamlio

SCHEMA_DIR = Path(__file__).resolve().parent / "schemas"
BASE = "https://sop-pusatdata.invalid/trust/"


@cache
def _schemas() -> Registry:
    resources = []
    for file in sorted(SCHEMA_DIR.glob("*.yaml")):
        schema = yamlio.load(file.read_text(encoding="utf-8"))
        Draft202012Validator.check_schema(schema)
        resources.append((schema["$id"], Resource.from_contents(schema)))
    return Registry().with_resources(resources)


@cache
def _validator(name: str) -> Draft202012Validator:
    uri = f"{BASE}{name}.schema.json"
    return Draft202012Validator(_schemas()[uri].contents, registry=_schemas())


def field_name(parts: Any) -> str:
    """Given the path of a value inside a document, return it as ``root.keys[0].id``."""
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(top level)"


def _describe(error: ValidationError) -> tuple[list[Any], str]:
    """Given a schema error, return the path of the field and what is allowed there."""
    path = list(error.absolute_path)
    schema = error.schema if isinstance(error.schema, dict) else {}
    if error.validator == "additionalProperties":
        allowed = sorted(schema.get("properties", {}))
        extra = sorted(set(error.instance) - set(allowed))
        return [*path, extra[0]], f"unknown key; allowed: {', '.join(allowed)}"
    if error.validator == "required":
        missing = [k for k in error.validator_value if k not in error.instance]
        return [*path, missing[0]], "missing; this key is required"
    if error.validator == "enum":
        allowed = ", ".join(str(v) for v in error.validator_value)
        return path, f"{error.instance!r} is not allowed; allowed: {allowed}"
    if error.validator == "const":
        return path, f"{error.instance!r} is not allowed; expected {error.validator_value!r}"
    if error.validator in ("pattern", "minimum", "maximum", "minLength"):
        # The schema's description says what the value should look like.
        hint = " ".join(str(schema.get("description", "")).split()).rstrip(".")
        return path, f"{error.instance!r} is not allowed; expected {hint[:1].lower() + hint[1:]}"
    if error.validator == "type":
        expected = error.validator_value
        expected = " or ".join(expected) if isinstance(expected, list) else expected
        return path, f"{error.instance!r} is not allowed; expected {expected}"
    if error.validator == "minItems":
        return path, f"needs at least {error.validator_value} entry(ies)"
    if error.validator == "uniqueItems":
        return path, f"{error.instance!r} has a repeated entry; list each one once"
    return path, error.message


def schema_problem(name: str, data: Any) -> str | None:
    """Given a schema name (trust, registry, proposal) and a document, return the first problem.

    The problem reads ``<field>: <what is wrong; what is allowed>``; None when the
    document fits the schema.
    """
    error = best_match(_validator(name).iter_errors(data))
    if error is None:
        return None
    path, message = _describe(error)
    return f"{field_name(path)}: {message}"
