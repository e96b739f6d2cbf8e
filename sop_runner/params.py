"""Request parameters held against the procedure's parameter schema (catalog ``params:``).

Every procedure file of the catalog names the parameters a request of it may fix,
their type and constraints.  ``validate`` is called by `sop request` before anything
is written: a name the procedure does not know, a missing one, or a value its spec
refuses is one line naming the parameter and what is allowed.

Types: ``text`` (one line of free text), ``string`` (pattern, enum, lengths),
``integer`` (minimum, maximum, exclude), ``boolean``, ``path`` (absolute,
normalised, no wildcards; roots, prefix, exclude), ``host`` (an inventory host name),
``repository`` (a restic repository), ``ipv4_network`` (min_prefix),
``time_window`` (START/END, ISO 8601 to the minute with offset), ``list`` (items,
min_items, max_items, unique) and ``object`` (fields).

Parameters are data, never code: no value of any type may hold a template marker
(``{{``, ``{%``, ``{#``), and a path lies under one of its procedure's ``roots``
(an allow-list); the system's own areas (``PROTECTED``: ``/``, ``/etc``, ``/usr``,
``/boot``, ``/var/lib``, ...) only when a root names that area itself.

A text value that YAML reads as a number (``config_ref=42``, ``target_release=12``)
is kept as that number: the gate reads a play's values the same way
(sop_runner/gate_check.py), so storing "12" would make the gate refuse the run.
"""

from __future__ import annotations

import ipaddress
import posixpath
import re
from collections.abc import Callable, Collection, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sop_runner.errors import SopError
from sop_runner.i18n import N_, _

if TYPE_CHECKING:
    from sop_runner.catalog.model import Param, Procedure

# Constraint keys each type accepts (the loader refuses any other on a spec).
TYPE_RULES: dict[str, frozenset[str]] = {
    "text": frozenset({"min_length", "max_length"}),
    "string": frozenset({"pattern", "enum", "min_length", "max_length", "allowed"}),
    "integer": frozenset({"minimum", "maximum", "exclude"}),
    "boolean": frozenset(),
    "path": frozenset({"roots", "prefix", "exclude"}),
    "host": frozenset(),
    "repository": frozenset(),
    "ipv4_network": frozenset({"min_prefix"}),
    "time_window": frozenset(),
    "list": frozenset({"min_items", "max_items", "unique"}),
    "object": frozenset(),
}
TYPES = tuple(TYPE_RULES)

_WILDCARDS = set("*?[]{}")
_TEMPLATE = re.compile(r"\{\{|\{%|\{#")
# The system's own areas: a path parameter reaches into one only when a root of its
# procedure names that area (or a folder inside it) itself; "/" only as the root "/".
PROTECTED = (
    "/bin", "/boot", "/dev", "/etc", "/lib", "/lib32", "/lib64", "/proc", "/root",
    "/run", "/sbin", "/sys", "/usr", "/var/lib",
)  # fmt: skip
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_HOST = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$")
# restic's repository forms; no space, quote, brace or shell character anywhere.
_REPOSITORY = re.compile(
    r"^(?:/|sftp:|rest:https?://|s3:|b2:|azure:|gs:|swift:|rclone:)[^\s'\"`$\\{}%;&|<>]*$"
)
_WINDOW_FORMAT = "%Y-%m-%dT%H:%M%z"


class _Refused(Exception):
    """A value a spec does not accept: what is wrong with it."""


def validate(
    procedure: Procedure,
    params: Mapping[str, Any],
    *,
    hosts: Collection[str] | None = None,
    with_derived: bool = False,
) -> dict[str, Any]:
    """Given a procedure and a request's parameters, return them checked and typed,
    with the defaults of the ones left out filled in.

    ``hosts`` (the inventory's host names), when given, is what a ``host`` value
    must be one of.  Derived parameters (computed by `sop request` itself) are
    refused when typed in, unless ``with_derived`` (checking a whole request).
    Raise SopError "--param NAME: what is wrong; allowed: …" for a name the
    procedure does not know, a derived one typed in, two alternatives given
    together, a value its spec refuses, or a required one missing.
    """
    known = {p.name: p for p in procedure.params}
    for name in sorted(params):
        if name not in known:
            allowed = ", ".join(sorted(n for n, p in known.items() if not p.derived))
            raise SopError(
                _(
                    "--param {name}: procedure {id} has no such parameter; allowed: {allowed}"
                ).format(name=name, id=procedure.id, allowed=allowed or _("none"))
            )
        if known[name].derived and not with_derived:
            raise SopError(
                _("--param {name}: computed by `sop request {id}` itself; leave it out").format(
                    name=name, id=procedure.id
                )
            )
    for spec in procedure.params:
        other = spec.alternative_to
        if other and spec.name in params and other in params:
            raise SopError(
                _(
                    "--param {other}: given together with {name}; allowed: {other} "
                    "or the parameters it replaces, not both"
                ).format(other=other, name=spec.name)
            )
    result: dict[str, Any] = {}
    for spec in procedure.params:
        if spec.name in params:
            result[spec.name] = check(spec, params[spec.name], hosts=hosts)
    missing = []
    for spec in procedure.params:
        if spec.name in result:
            continue
        if spec.has_default:
            result[spec.name] = thaw(spec.default)
        elif (
            spec.required
            and (with_derived or not spec.derived)
            and not (spec.alternative_to and spec.alternative_to in params)
        ):
            missing.append(spec)
    if len(missing) == 1:
        raise SopError(
            _("--param {name}: procedure {id} needs it; allowed: {allowed}").format(
                name=missing[0].name, id=procedure.id, allowed=allowed_text(missing[0])
            )
        )
    if missing:
        raise SopError(
            _("--param: procedure {id} needs {names}").format(
                id=procedure.id,
                names=", ".join(f"{s.name} ({allowed_text(s)})" for s in missing),
            )
        )
    return result


def check(spec: Param, value: Any, *, hosts: Collection[str] | None = None) -> Any:
    """Given a parameter spec and a value, return the value typed.

    Raise SopError "--param NAME: what is wrong; allowed: …" if the spec refuses it.
    """
    try:
        _no_template(value)
        return _check(spec, value, hosts)
    except _Refused as refused:
        raise SopError(
            _("--param {name}: {refused}; allowed: {allowed}").format(
                name=spec.name, refused=refused, allowed=allowed_text(spec)
            )
        ) from None


def _no_template(value: Any) -> None:
    """Given a value, refuse any text in it that Jinja would read as a template."""
    if isinstance(value, str) and _TEMPLATE.search(value):
        raise _Refused(
            _("{value!r} holds a template marker ({{{{, {{% or {{#); values are data").format(
                value=value
            )
        )
    if isinstance(value, list | tuple):
        for item in value:
            _no_template(item)
    if isinstance(value, dict):
        for key, item in value.items():
            _no_template(key)
            _no_template(item)


def thaw(value: Any) -> Any:
    """Given a frozen catalog value (tuples for lists), return it as plain data."""
    if isinstance(value, tuple):
        return [thaw(v) for v in value]
    return value


def _check(spec: Param, value: Any, hosts: Collection[str] | None) -> Any:
    checker = _CHECKERS[spec.type]
    return checker(spec, value, hosts)


def _text_of(value: Any) -> str:
    """Given a scalar, return its text; refuse what is not text (true, null, lists)."""
    if isinstance(value, bool) or value is None or isinstance(value, list | dict):
        raise _Refused(_("{value!r} is not text").format(value=value))
    if isinstance(value, int | float):
        return str(value)
    if not isinstance(value, str):
        raise _Refused(_("{value!r} is not text").format(value=value))
    return value


def _lengths(spec: Param, text: str, low: int = 0, high: int | None = None) -> None:
    low = spec.rule("min_length", low)
    high = spec.rule("max_length", high)
    if len(text) < low:
        raise _Refused(
            _("is empty")
            if not text
            else _("{text!r} is shorter than {low} characters").format(text=text, low=low)
        )
    if high is not None and len(text) > high:
        raise _Refused(_("is longer than {high} characters").format(high=high))


def _check_text(spec: Param, value: Any, _hosts: Any) -> Any:
    text = _text_of(value)
    _lengths(spec, text, 1, 200)
    if _CONTROL.search(text) or "{" in text or "}" in text:
        raise _Refused(_("{text!r} holds a control character or a brace").format(text=text))
    return value


def _check_string(spec: Param, value: Any, _hosts: Any) -> Any:
    text = _text_of(value)
    _lengths(spec, text)
    enum = spec.rule("enum")
    if enum is not None and text not in enum:
        raise _Refused(_("{text!r} is not one of them").format(text=text))
    pattern = spec.rule("pattern")
    if pattern is not None and not re.fullmatch(pattern, text):
        raise _Refused(_("{text!r} does not fit").format(text=text))
    return value


def _check_integer(spec: Param, value: Any, _hosts: Any) -> int:
    if isinstance(value, str) and re.fullmatch(r"-?[0-9]+", value.strip()):
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise _Refused(_("{value!r} is not a whole number").format(value=value))
    low, high = spec.rule("minimum"), spec.rule("maximum")
    if low is not None and value < low:
        raise _Refused(_("{value} is below {low}").format(value=value, low=low))
    if high is not None and value > high:
        raise _Refused(_("{value} is above {high}").format(value=value, high=high))
    if value in spec.rule("exclude", ()):
        raise _Refused(_("{value} is never allowed").format(value=value))
    return value


def _check_boolean(spec: Param, value: Any, _hosts: Any) -> bool:
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    if not isinstance(value, bool):
        raise _Refused(_("{value!r} is not true or false").format(value=value))
    return value


def _check_path(spec: Param, value: Any, _hosts: Any) -> str:
    if not isinstance(value, str) or not value:
        raise _Refused(_("{value!r} is not a path").format(value=value))
    if _CONTROL.search(value):
        raise _Refused(_("{value!r} holds a control character").format(value=value))
    if not value.startswith("/"):
        raise _Refused(_("{value!r} is relative").format(value=value))
    if _WILDCARDS & set(value):
        raise _Refused(_("{value!r} has a wildcard").format(value=value))
    if ".." in value.split("/"):
        raise _Refused(_("{value!r} has '..'").format(value=value))
    prefix = spec.rule("prefix")
    if prefix is not None and (not value.startswith(prefix) or value == prefix):
        raise _Refused(_("{value!r} is not under {prefix}").format(value=value, prefix=prefix))
    if posixpath.normpath(value) != value or "//" in value:
        raise _Refused(
            _("{value!r} is not normalised (no '.', '//' or trailing '/')").format(value=value)
        )
    if value in spec.rule("exclude", ()):
        raise _Refused(_("{value!r} is never allowed").format(value=value))
    _within_roots(value, spec.rule("roots", ()))
    return value


def inside(path: str, area: str) -> bool:
    """Given two normalised absolute paths, return whether path is area or lies under it."""
    return path == area or (area != "/" and path.startswith(area + "/"))


def _within_roots(value: str, roots: tuple[str, ...]) -> None:
    """Given a normalised path and its allow-list, refuse it unless a root admits it.

    The root "/" admits "/" alone (back in place); a root admits itself and what lies
    under it, and a protected area only when the root lies inside that area.
    """
    if not roots:
        return
    admitting = [r for r in roots if (value == "/" if r == "/" else inside(value, r))]
    if not admitting:
        raise _Refused(
            _("{value!r} is not under {roots}").format(value=value, roots=_roots_text(roots))
        )
    area = next((a for a in PROTECTED if inside(value, a)), "/" if value == "/" else None)
    if area is not None and not any(inside(r, area) for r in admitting):
        raise _Refused(
            _("{value!r} is in the system area {area}, which this procedure never touches").format(
                value=value, area=area
            )
        )


def _roots_text(roots: tuple[str, ...]) -> str:
    return ", ".join(_("/ itself") if root == "/" else root for root in roots)


def _check_host(spec: Param, value: Any, hosts: Collection[str] | None) -> str:
    if not isinstance(value, str) or not _HOST.match(value):
        raise _Refused(_("{value!r} is not a host name").format(value=value))
    if hosts is not None and value not in hosts:
        raise _Refused(_("{value!r} is not a host of the inventory").format(value=value))
    return value


def _check_repository(spec: Param, value: Any, _hosts: Any) -> str:
    if not isinstance(value, str) or not _REPOSITORY.match(value):
        raise _Refused(_("{value!r} is not a restic repository").format(value=value))
    location = value.split(":", 1)[-1] if not value.startswith("/") else value
    if ".." in re.split(r"[/:]", location):
        raise _Refused(_("{value!r} has '..'").format(value=value))
    return value


def _check_ipv4_network(spec: Param, value: Any, _hosts: Any) -> str:
    try:
        network = ipaddress.IPv4Network(str(value).strip(), strict=False)
    except ValueError:
        raise _Refused(
            _("{value!r} is not an IPv4 address or network").format(value=value)
        ) from None
    low = spec.rule("min_prefix")
    if low is not None and network.prefixlen < low:
        raise _Refused(_("{value!r} is wider than /{low}").format(value=value, low=low))
    return str(value).strip()


def _check_time_window(spec: Param, value: Any, _hosts: Any) -> str:
    text = value if isinstance(value, str) else ""
    start_text, sep, end_text = text.partition("/")
    try:
        start = datetime.strptime(start_text, _WINDOW_FORMAT)
        end = datetime.strptime(end_text, _WINDOW_FORMAT)
    except ValueError:
        raise _Refused(_("{value!r} is not START/END").format(value=value)) from None
    if not sep or end <= start:
        raise _Refused(_("{value!r} ends before it starts").format(value=value))
    return text


def _check_list(spec: Param, value: Any, hosts: Collection[str] | None) -> list[Any]:
    if not isinstance(value, list):
        raise _Refused(_("{value!r} is not a list [a, b, ...]").format(value=value))
    assert spec.items is not None  # the loader gives every list its items
    typed = []
    for number, item in enumerate(value, start=1):
        try:
            typed.append(_check(spec.items, item, hosts))
        except _Refused as refused:
            raise _Refused(
                _("entry {number}: {refused}").format(number=number, refused=refused)
            ) from None
    low, high = spec.rule("min_items", 0), spec.rule("max_items")
    if len(typed) < low:
        raise _Refused(_("has {count} entries, fewer than {low}").format(count=len(typed), low=low))
    if high is not None and len(typed) > high:
        raise _Refused(
            _("has {count} entries, more than {high}").format(count=len(typed), high=high)
        )
    if spec.rule("unique") and len({repr(v) for v in typed}) != len(typed):
        raise _Refused(_("names an entry twice"))
    return typed


def _check_object(spec: Param, value: Any, hosts: Collection[str] | None) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _Refused(_("{value!r} is not a mapping").format(value=value))
    fields = {p.name: p for p in spec.fields}
    unknown = sorted(set(value) - set(fields))
    if unknown:
        raise _Refused(_("{key!r} is not one of its keys").format(key=unknown[0]))
    typed = {}
    for name, field in fields.items():
        if name not in value:
            if field.required:
                raise _Refused(_("key {name!r} is missing").format(name=name))
            continue
        try:
            typed[name] = _check(field, value[name], hosts)
        except _Refused as refused:
            raise _Refused(
                _("key {name!r}: {refused}").format(name=name, refused=refused)
            ) from None
    return typed


_CHECKERS: dict[str, Callable[[Param, Any, Any], Any]] = {
    "text": _check_text,
    "string": _check_string,
    "integer": _check_integer,
    "boolean": _check_boolean,
    "path": _check_path,
    "host": _check_host,
    "repository": _check_repository,
    "ipv4_network": _check_ipv4_network,
    "time_window": _check_time_window,
    "list": _check_list,
    "object": _check_object,
}


def allowed_text(spec: Param) -> str:
    """Given a parameter spec, return what it accepts, in a few words of the person's language.

    The catalog's own ``allowed:`` text and the values of an ``enum`` are shown as written.
    """
    if spec.rule("allowed"):
        return str(spec.rule("allowed"))
    kind = spec.type
    if kind == "integer":
        low, high = spec.rule("minimum"), spec.rule("maximum")
        if low is not None and high is not None:
            text = _("a whole number from {low} to {high}").format(low=low, high=high)
        elif low is not None:
            text = _("a whole number of at least {low}").format(low=low)
        elif high is not None:
            text = _("a whole number of at most {high}").format(high=high)
        else:
            text = _("a whole number")
        excluded = spec.rule("exclude", ())
        if not excluded:
            return text
        return _("{text} except {excluded}").format(
            text=text, excluded=", ".join(map(str, excluded))
        )
    if kind == "path":
        text = _("an absolute, normalised path without wildcards or '..'")
        if spec.rule("prefix"):
            text = _("{text} under {prefix}").format(text=text, prefix=spec.rule("prefix"))
        elif spec.rule("roots"):
            text = _("{text} at or under {roots}").format(
                text=text, roots=_roots_text(spec.rule("roots"))
            )
        excluded = spec.rule("exclude", ())
        if not excluded:
            return text
        return _("{text}, not {excluded}").format(text=text, excluded=", ".join(excluded))
    if kind == "string" and spec.rule("enum") is not None:
        return ", ".join(str(v) for v in spec.rule("enum"))
    if kind == "list":
        assert spec.items is not None
        text = _("a list [a, b, ...] of {items}").format(items=allowed_text(spec.items))
        low = spec.rule("min_items", 0)
        return _("{text}, at least {low}").format(text=text, low=low) if low else text
    if kind == "object":
        return _("a mapping with keys {keys}").format(keys=", ".join(p.name for p in spec.fields))
    if kind == "text":
        return _(
            "one line of text without control characters or braces, up to {limit} characters"
        ).format(limit=spec.rule("max_length", 200))
    if kind == "ipv4_network" and spec.rule("min_prefix") is not None:
        return _("an IPv4 address or a network of /{prefix} or narrower").format(
            prefix=spec.rule("min_prefix")
        )
    return _(_ALLOWED[kind])


# Marked for the catalog (N_), translated when shown (allowed_text).
_ALLOWED = {
    "string": N_("text"),
    "boolean": N_("true or false"),
    "host": N_("a host name of the inventory"),
    "repository": N_(
        "a restic repository: an absolute path, sftp:[USER@]HOST:PATH, rest:URL, s3:URL, "
        "b2:, azure:, gs:, swift: or rclone: (no spaces, quotes or '..')"
    ),
    "ipv4_network": N_("an IPv4 address or network"),
    "time_window": N_(
        "START/END like 2025-06-01T22:00+07:00/2025-06-02T02:00+07:00, END after START"
    ),
}
