"""The trust documents' JSON schemas (schemas/*.yaml) and one-line errors naming the field.

A document that fitted its schema is remembered by the SHA-256 of its exact content,
the schemas and this code, as an empty marker file in this package's own
``__pycache__`` (as sop_runner/catalog/cache.py keeps the validated catalog): written
only by whoever can write the package, so exactly as trusted as the ``.pyc`` files
Python loads from there.  The same document is then not validated again, and jsonschema
is not even imported (about 85 ms of `sop status`'s start, issue 17); any other
content, schema or code gives another name and is validated in full.
"""

from __future__ import annotations

import hashlib
import pickle
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sop_runner import yamlio
from sop_runner.i18n import _
from sop_runner.kept_files import keep

# jsonschema where a document is validated: a document validated before needs none.
if TYPE_CHECKING:
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import ValidationError
    from referencing import Registry

SCHEMA_DIR = Path(__file__).resolve().parent / "schemas"
BASE = "https://sop-pusatdata.invalid/trust/"
CACHE_DIR = Path(__file__).resolve().parent / "__pycache__"
KEEP = 64  # markers kept: the trust file and each registry version in use


@cache
def _schemas() -> Registry:
    from jsonschema import Draft202012Validator
    from referencing import Registry, Resource

    resources = []
    for file in sorted(SCHEMA_DIR.glob("*.yaml")):
        schema = yamlio.load(file.read_text(encoding="utf-8"))
        Draft202012Validator.check_schema(schema)
        resources.append((schema["$id"], Resource.from_contents(schema)))
    return Registry().with_resources(resources)


@cache
def _validator(name: str) -> Draft202012Validator:
    from jsonschema import Draft202012Validator

    uri = f"{BASE}{name}.schema.json"
    return Draft202012Validator(_schemas()[uri].contents, registry=_schemas())


def field_name(parts: Any) -> str:
    """Given the path of a value inside a document, return it as ``root.keys[0].id``."""
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or _("(top level)")


def _describe(error: ValidationError) -> tuple[list[Any], str]:
    """Given a schema error, return the path of the field and what is allowed there."""
    path = list(error.absolute_path)
    schema = error.schema if isinstance(error.schema, dict) else {}
    if error.validator == "additionalProperties":
        allowed = sorted(schema.get("properties", {}))
        extra = sorted(set(error.instance) - set(allowed))
        return [*path, extra[0]], _("unknown key; allowed: {allowed}").format(
            allowed=", ".join(allowed)
        )
    if error.validator == "required":
        missing = [k for k in error.validator_value if k not in error.instance]
        return [*path, missing[0]], _("missing; this key is required")
    if error.validator == "enum":
        allowed = ", ".join(str(v) for v in error.validator_value)
        return path, _("{value!r} is not allowed; allowed: {allowed}").format(
            value=error.instance, allowed=allowed
        )
    if error.validator == "const":
        return path, _("{value!r} is not allowed; expected {expected!r}").format(
            value=error.instance, expected=error.validator_value
        )
    if error.validator in ("pattern", "minimum", "maximum", "minLength"):
        # The schema's description says what the value should look like (English: the
        # schema's own words, as the catalog's allowed: texts are kept as written).
        hint = " ".join(str(schema.get("description", "")).split()).rstrip(".")
        return path, _("{value!r} is not allowed; expected {expected}").format(
            value=error.instance, expected=hint[:1].lower() + hint[1:]
        )
    if error.validator == "type":
        expected = error.validator_value
        expected = " or ".join(expected) if isinstance(expected, list) else expected
        return path, _("{value!r} is not allowed; expected {expected}").format(
            value=error.instance, expected=expected
        )
    if error.validator == "minItems":
        return path, _("needs at least {count} entry(ies)").format(count=error.validator_value)
    if error.validator == "uniqueItems":
        return path, _("{value!r} has a repeated entry; list each one once").format(
            value=error.instance
        )
    return path, error.message


def schema_problem(name: str, data: Any) -> str | None:
    """Given a schema name (trust, registry, proposal) and a document, return the first problem.

    The problem reads ``<field>: <what is wrong; what is allowed>``; None when the
    document fits the schema.
    """
    marker = _marker(name, data)
    if marker is not None and marker.exists():
        return None  # this very content fitted these schemas before
    from jsonschema.exceptions import best_match

    error = best_match(_validator(name).iter_errors(data))
    if error is None:
        if marker is not None:
            _remember(marker)
        return None
    path, message = _describe(error)
    return f"{field_name(path)}: {message}"


def _marker(name: str, data: Any) -> Path | None:
    """Given a schema name and a document, return the marker file its passing would leave
    (None when the document cannot be named exactly)."""
    digest = hashlib.sha256()
    for path in [*sorted(SCHEMA_DIR.glob("*.yaml")), Path(__file__)]:
        content = path.read_bytes()
        digest.update(f"{path.name}\0{len(content)}\0".encode())
        digest.update(content)
    try:
        # pickle names types exactly (a date is no string), unlike JSON text.
        digest.update(name.encode() + b"\0" + pickle.dumps(data, protocol=5))
    except (pickle.PicklingError, TypeError, AttributeError, RecursionError):
        return None
    return CACHE_DIR / f"trust-valid-{digest.hexdigest()[:48]}"


def _remember(marker: Path) -> None:
    """Keep an empty marker that this content was valid (KEEP of them; a package folder not
    ours to write: validate each time)."""
    keep(marker, b"", "trust-valid-*", KEEP)
