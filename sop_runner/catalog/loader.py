"""Load the procedure files, validate them, and build the catalog."""

from __future__ import annotations

import re
from datetime import timedelta
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sop_runner import durations, yamlio
from sop_runner.catalog import branches
from sop_runner.catalog.durations import StandardTime
from sop_runner.catalog.model import (
    ROLES,
    SUBJECTS,
    Catalog,
    Param,
    Procedure,
    Step,
    Text,
    WhenFailed,
)
from sop_runner.errors import SopError
from sop_runner.i18n import _
from sop_runner.params import TYPE_RULES, check, thaw

if TYPE_CHECKING:  # jsonschema is imported only when the catalog is validated (not cached)
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import ValidationError

PACKAGE_DIR = Path(__file__).resolve().parent
PROCEDURES_DIR = PACKAGE_DIR / "procedures"
SCHEMA_FILE = PACKAGE_DIR / "schema.yaml"
GATE_ROLES = tuple(r for r in ROLES if r != "petugas")
# No approval outlives a month, whatever a procedure file says (issue 15).
APPROVAL_CEILING = timedelta(days=30)


def load_catalog(path: str | Path | None = None) -> Catalog:
    """Given a directory of procedure files (default: the packaged one), return the catalog.

    Every ``<id>.yaml`` is validated against schema.yaml and the cross-field
    rules.  The result is cached per directory.  Raise SopError naming the file,
    the field (as a JSON pointer such as ``steps/3/actor``) and what is allowed
    if any file is malformed.
    """
    directory = (Path(path) if path is not None else PROCEDURES_DIR).resolve()
    if directory == PROCEDURES_DIR.resolve():
        return _packaged()
    return _load_dir(directory)


@cache
def _packaged() -> Catalog:
    """Return the packaged catalog, validated once per content (sop_runner/catalog/cache.py)."""
    from sop_runner.catalog import cache as catalog_cache

    return catalog_cache.cached(PROCEDURES_DIR.resolve(), SCHEMA_FILE, _load_dir)


@cache
def _validator() -> Draft202012Validator:
    from jsonschema import Draft202012Validator

    schema = yamlio.load(SCHEMA_FILE.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


@cache
def _load_dir(directory: Path) -> Catalog:
    if not directory.is_dir():
        raise SopError(
            _("catalog directory {directory}: does not exist").format(directory=directory)
        )
    files = sorted(directory.glob("*.yaml"))
    if not files:
        raise SopError(
            _("catalog directory {directory}: has no procedure files (<id>.yaml)").format(
                directory=directory
            )
        )
    loaded = sorted((_load_file(f) for f in files), key=lambda pair: _id_key(pair[0].id))
    catalog_errata: list[Text] = []
    for _procedure, errata in loaded:
        catalog_errata.extend(e for e in errata if e not in catalog_errata)
    return Catalog(procedures=tuple(p for p, _errata in loaded), errata=tuple(catalog_errata))


def _id_key(procedure_id: str) -> tuple[int, ...]:
    # Numeric, so that a future 1.10 sorts after 1.9 and not after 1.1.
    return tuple(int(part) for part in procedure_id.split("."))


def _load_file(file: Path) -> tuple[Procedure, tuple[Text, ...]]:
    """Given one procedure file, return the procedure and its catalog-level errata.

    Raise SopError naming the file and the field if the file is malformed.
    """
    import yaml  # here: a cached catalog is read without YAML (issue 17, start-up)

    try:
        data = yamlio.load(file.read_text(encoding="utf-8"))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = (
            _(" at line {line}, column {column}").format(line=mark.line + 1, column=mark.column + 1)
            if mark
            else ""
        )
        raise SopError(
            _("{file}: not valid YAML: {problem}{where}").format(
                file=file, problem=exc.problem, where=where
            )
        ) from None
    except yaml.YAMLError as exc:
        raise SopError(
            _("{file}: not valid YAML: {problem}").format(file=file, problem=exc)
        ) from None
    if not isinstance(data, dict):
        raise SopError(
            _("{file}: must be a mapping of procedure fields (id, title, steps, ...)").format(
                file=file
            )
        )
    from jsonschema.exceptions import best_match

    error = best_match(_validator().iter_errors(data))
    if error is not None:
        pointer, message = _describe(error)
        raise SopError(f"{file}: {pointer}: {message}")
    try:
        procedure = _build(file, data)
    except _FieldError as exc:
        raise SopError(f"{file}: {exc.pointer}: {exc.message}") from None
    # Procedure.errata stays plain Texts; the "catalog" flag only decides which
    # errata the catalog lists for the document as a whole.
    catalog_errata = tuple(_text(e) for e in data.get("errata", []) if e.get("catalog"))
    return procedure, catalog_errata


class _FieldError(Exception):
    """A semantic error at one field; turned into a SopError with the file name."""

    def __init__(self, pointer: str, message: str) -> None:
        super().__init__(f"{pointer}: {message}")
        self.pointer = pointer
        self.message = message


def _pointer(parts: Any) -> str:
    text = "/".join(str(p) for p in parts)
    return text or "(top level)"


def _describe(error: ValidationError) -> tuple[str, str]:
    """Given a schema error, return the field's pointer and what is allowed there."""
    path = list(error.absolute_path)
    schema = error.schema if isinstance(error.schema, dict) else {}
    if error.validator == "additionalProperties" and "patternProperties" in schema:
        patterns = [re.compile(p) for p in schema["patternProperties"]]
        extra = sorted(k for k in error.instance if not any(p.search(k) for p in patterns))
        return _pointer([*path, extra[0]]), (
            "not allowed as a name; allowed: lowercase letters, digits and underscores, "
            "starting with a letter and not with sop_"
        )
    if error.validator == "additionalProperties":
        allowed = sorted(schema.get("properties", {}))
        extra = sorted(set(error.instance) - set(allowed))
        return _pointer([*path, extra[0]]), f"unknown key; allowed: {', '.join(allowed)}"
    if error.validator == "required":
        missing = [k for k in error.validator_value if k not in error.instance]
        return _pointer([*path, missing[0]]), "missing; this key is required"
    if error.validator == "enum":
        allowed = ", ".join(str(v) for v in error.validator_value)
        return _pointer(path), f"{error.instance!r} is not allowed; allowed: {allowed}"
    if error.validator == "pattern":
        # The schema's description says what the value should look like.
        hint = " ".join(str(schema.get("description", "")).split()).rstrip(".")
        hint = hint[:1].lower() + hint[1:]
        return _pointer(path), f"{error.instance!r} is not allowed; expected {hint}"
    if error.validator == "type":
        expected = error.validator_value
        expected = " or ".join(expected) if isinstance(expected, list) else expected
        return _pointer(path), f"{error.instance!r} is not allowed; expected {expected}"
    if error.validator == "minItems":
        return _pointer(path), f"needs at least {error.validator_value} entry(ies)"
    if error.validator == "uniqueItems":
        return _pointer(path), f"{error.instance!r} has a repeated entry; list each one once"
    return _pointer(path), error.message


def _text(value: dict[str, Any]) -> Text:
    return Text(id=value["id"], en=value["en"])


def _opt_text(value: dict[str, Any] | None) -> Text | None:
    return None if value is None else _text(value)


def _build(file: Path, data: dict[str, Any]) -> Procedure:
    """Given a schema-valid procedure mapping, return the Procedure.

    Raise _FieldError for the rules the schema cannot express.
    """
    if file.stem != data["id"]:
        raise _FieldError(
            "id",
            f"{data['id']!r} does not match the file name; the file must be "
            f"named {data['id']}.yaml",
        )
    goals = data["goals"]
    if len(goals["id"]) != len(goals["en"]):
        raise _FieldError(
            "goals/en",
            f"has {len(goals['en'])} goals but goals/id has {len(goals['id'])}; "
            "each Indonesian goal needs exactly one translation",
        )
    actors = tuple(data["actors"])
    steps = tuple(_build_step(i, raw, actors) for i, raw in enumerate(data["steps"]))
    params = _build_params(data.get("params") or {})
    try:
        branches.check(steps, {p.name for p in params})
    except branches.BranchError as exc:
        raise _FieldError(exc.pointer, exc.message) from None
    window = data.get("window_param")
    if window is not None and not any(p.name == window and p.type == "time_window" for p in params):
        raise _FieldError(
            "window_param", f"{window!r} is not a time_window parameter of this procedure"
        )
    # A step that applies by a parameter must name one of the procedure's parameters.
    names = set(data.get("params") or {})
    for index, step in enumerate(steps):
        for key in ("when_param", "unless_param"):
            name = getattr(step, f"applies_{key}")
            if name is not None and name not in names:
                raise _FieldError(
                    f"steps/{index}/applies/{key}",
                    f"{name!r} is no parameter of this procedure "
                    f"({', '.join(sorted(names)) or 'none'})",
                )
    return Procedure(
        id=data["id"],
        chapter=_text(data["chapter"]),
        title=_text(data["title"]),
        scope=_text(data["scope"]),
        goals=tuple(Text(i, e) for i, e in zip(goals["id"], goals["en"], strict=True)),
        actors=actors,
        companion_documents=tuple(_text(d) for d in data["companion_documents"]),
        report=_opt_text(data["report"]),
        errata=tuple(_text(e) for e in data.get("errata", [])),
        steps=steps,
        params=params,
        approval_max=_approval_max(data, steps),
        target=data.get("target", "host"),
        window_param=window,
    )


def _approval_max(data: dict[str, Any], steps: tuple[Step, ...]) -> timedelta:
    """Given a procedure mapping and its steps, return the longest an approval may last.

    Raise _FieldError when a procedure with a gate lacks it or it is not a
    duration of at most 30 days.
    """
    text = data.get("approval_max")
    if text is None:
        if any(s.gate_role is not None for s in steps):
            raise _FieldError(
                "approval_max", "missing; a procedure with a gate bounds its approvals (e.g. 2d)"
            )
        return timedelta(days=1)
    try:
        return durations.parse(text, "approval_max", maximum=APPROVAL_CEILING)
    except SopError as exc:
        raise _FieldError("approval_max", str(exc).removeprefix("approval_max: ")) from None


_RULE_KEYS = frozenset().union(*TYPE_RULES.values())


def _freeze(value: Any) -> Any:
    # Lists become tuples so that a Procedure stays hashable (and immutable).
    if isinstance(value, list | tuple):
        return tuple(_freeze(v) for v in value)
    return value


def _build_params(raw: dict[str, Any]) -> tuple[Param, ...]:
    """Given a schema-valid ``params`` mapping, return the Params in file order.

    Raise _FieldError for the rules the schema cannot express.
    """
    params = tuple(_build_param(f"params/{name}", name, spec) for name, spec in raw.items())
    names = {p.name for p in params}
    for param in params:
        other = param.alternative_to
        if other is not None and (other not in names or other == param.name):
            raise _FieldError(
                f"params/{param.name}/alternative_to",
                f"{other!r} is not another parameter of this procedure; allowed: "
                + ", ".join(sorted(names - {param.name})),
            )
    return params


def _build_param(at: str, name: str, spec: dict[str, Any]) -> Param:
    kind = spec["type"]
    rules = {k: v for k, v in spec.items() if k in _RULE_KEYS}
    misplaced = sorted(set(rules) - TYPE_RULES[kind])
    if misplaced:
        allowed = ", ".join(sorted(TYPE_RULES[kind])) or "none"
        raise _FieldError(
            f"{at}/{misplaced[0]}", f"does not apply to type {kind!r}; allowed: {allowed}"
        )
    for key, needs in (("items", "list"), ("fields", "object")):
        if (key in spec) != (kind == needs):
            raise _FieldError(f"{at}/{key}", f"a {needs} parameter, and only one, has {key}")
    if "pattern" in rules:
        try:
            re.compile(rules["pattern"])
        except re.error as exc:
            raise _FieldError(f"{at}/pattern", f"not a regular expression: {exc}") from None
        if "allowed" not in rules:
            raise _FieldError(
                f"{at}/allowed", "missing; a pattern needs the words an error line shows"
            )
    if spec.get("required") and "default" in spec:
        raise _FieldError(f"{at}/default", "a required parameter has no default")
    if kind == "path" and "roots" not in rules:
        raise _FieldError(
            f"{at}/roots", "missing; a path parameter names the folders it may lie under"
        )
    param = Param(
        name=name,
        type=kind,
        description=_text(spec["description"]),
        required=bool(spec.get("required")),
        has_default="default" in spec,
        default=_freeze(spec.get("default")),
        derived=bool(spec.get("derived")),
        alternative_to=spec.get("alternative_to"),
        rules=tuple(sorted((k, _freeze(v)) for k, v in rules.items())),
        items=_build_param(f"{at}/items", "item", spec["items"]) if "items" in spec else None,
        fields=tuple(
            _build_param(f"{at}/fields/{key}", key, sub)
            for key, sub in (spec.get("fields") or {}).items()
        ),
    )
    if param.has_default:
        try:
            check(param, thaw(param.default))
        except SopError as exc:
            raise _FieldError(f"{at}/default", f"not accepted by its own spec: {exc}") from None
    return param


def _build_step(index: int, raw: dict[str, Any], actors: tuple[str, ...]) -> Step:
    at = f"steps/{index}"
    if raw["number"] != index + 1:
        raise _FieldError(
            f"{at}/number",
            f"{raw['number']} is out of sequence; steps are numbered 1..n "
            f"in order, so this one must be {index + 1}",
        )
    actor = raw["actor"]
    if actor not in ROLES + SUBJECTS:
        raise _FieldError(
            f"{at}/actor", f"{actor!r} is not allowed; allowed: {', '.join(ROLES + SUBJECTS)}"
        )
    # A step's actor must be a party the procedure names, or the table and the
    # narrative disagree in a way that should be an erratum, not a silent fix.
    if actor not in actors:
        raise _FieldError(
            f"{at}/actor", f"{actor!r} is not one of this procedure's actors ({', '.join(actors)})"
        )
    kind = raw["kind"]
    gate = raw.get("gate")
    if kind == "gate" and gate is None:
        raise _FieldError(
            f"{at}/gate",
            "missing; a step of kind 'gate' needs gate.role "
            f"({' or '.join(GATE_ROLES)}) and gate.when",
        )
    if gate is not None:
        if gate["role"] not in GATE_ROLES:
            raise _FieldError(
                f"{at}/gate/role",
                f"{gate['role']!r} is not allowed; allowed: {', '.join(GATE_ROLES)}",
            )
        # A gate step is a row of the document, so its role is a named party; a gate
        # attribute on another step is an approval the table does not show (from the
        # narrative, or the project's rule for steps that destroy data).
        if kind == "gate" and gate["role"] not in actors:
            raise _FieldError(
                f"{at}/gate/role",
                f"{gate['role']!r} is not one of this procedure's actors ({', '.join(actors)})",
            )
    playbook = raw.get("playbook")
    if kind == "automated" and playbook is None:
        raise _FieldError(
            f"{at}/playbook",
            "missing; a step of kind 'automated' needs a playbook (a file under playbooks/)",
        )
    alternatives = dict(raw.get("playbook_when_param") or {})
    if alternatives and kind != "automated":
        raise _FieldError(
            f"{at}/playbook_when_param",
            f"only a step of kind 'automated' may name playbooks (this step is {kind!r})",
        )
    if kind != "automated" and playbook is not None:
        raise _FieldError(
            f"{at}/playbook",
            f"only a step of kind 'automated' may name a playbook (this step is {kind!r})",
        )
    try:
        choices, condition = branches.choices_of(raw), branches.condition_of(raw)
    except branches.BranchError as exc:
        raise _FieldError(f"{at}/{exc.pointer}", exc.message) from None
    standard_time = None
    if "standard_time" in raw:
        try:
            standard_time = StandardTime.parse(raw["standard_time"])
        except SopError as exc:
            raise _FieldError(f"{at}/standard_time", str(exc)) from None
    return Step(
        number=raw["number"],
        doc_number=raw["doc_number"],
        activity=_text(raw["activity"]),
        actor=actor,
        kind=kind,
        gate_role=gate["role"] if gate else None,
        gate_when=gate["when"] if gate else None,
        playbook=playbook,
        prerequisite=_opt_text(raw.get("prerequisite")),
        standard_time=standard_time,
        standard_time_text=_opt_text(raw.get("standard_time_text")),
        output=_opt_text(raw.get("output")),
        notes=_opt_text(raw.get("notes")),
        playbook_when_param=tuple(sorted(alternatives.items())),
        choices=choices,
        applies_when=condition,
        ends_run=raw.get("ends_run"),
        interrupts_service=bool(raw.get("interrupts_service", False)),
        circular=raw.get("circular"),
        gate_rule=gate.get("rule", "document") if gate else "document",
        gate_after=tuple(gate.get("after", ())) if gate else (),
        when_failed=WhenFailed(**raw["when_failed"]) if "when_failed" in raw else None,
        applies_when_param=(raw.get("applies") or {}).get("when_param"),
        applies_unless_param=(raw.get("applies") or {}).get("unless_param"),
        not_applicable=_opt_text((raw.get("applies") or {}).get("otherwise")),
    )
