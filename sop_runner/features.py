"""The feature contract: what a procedure family plugs into the core, and the one registry.

A feature (remote access, backup, configuration, …) is a package that exports
one ``Feature`` value and names it in the ``sop_pusatdata.features`` entry-point
group of its distribution (``pyproject.toml``).  The registry is built once, from
those entry points, and handed to the core through ``Context.features``; the core
never imports a feature by name.  Two features claiming the same command name is
an error at every start, the same recorder key when the features load; never a
silent overwrite.

Every `sop` start needs only two things of a feature: the names of its command
groups and its start-up hooks; the store needs a third, the module of its tables.
A feature declares them in a ``Manifest`` named in the ``sop_pusatdata.manifests``
group under the feature's entry-point name; the module holding it imports no
table (its package ``__init__`` stays light), so `sop list` starts without
SQLAlchemy or any feature (``startup()``), and the store defines the tables
without loading the rest (``define_tables()``).  The features themselves
(recorders, derived parameters, documents, …) load when a command needs them
(``installed()``, through ``Context.features``).  A feature without a manifest is
loaded whole at every start, as before.  The entry points themselves are kept between
starts until something is installed (``sop_runner/feature_entries.py``).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sop_runner.errors import SopError
from sop_runner.feature_entries import Entry, entry_points
from sop_runner.i18n import _

if TYPE_CHECKING:
    import typer
    from sqlalchemy.orm import Session

    from sop_runner.context import Context
    from sop_runner.store.models import Request, Run

ENTRY_POINT_GROUP = "sop_pusatdata.features"
MANIFEST_GROUP = "sop_pusatdata.manifests"

# set_stats key -> writer(session, run id, value) -> rows written
Recorder = Callable[["Session", int, Any], int]
# (inventory dir, targets, params) -> parameters `sop request` computes itself
Deriver = Callable[[Path, list[str], dict[str, Any]], dict[str, Any]]
# (context, targets, params) -> None; raise SopError naming the parameter
ParamCheck = Callable[["Context", list[str], dict[str, Any]], None]
# (session, request, latest run or None, language) -> what the section template shows
SectionData = Callable[["Session", "Request", "Run | None", str], dict[str, Any]]
# (context, request id, language, folder) -> files written
DocumentWriter = Callable[["Context", int, str, Path], list[Path]]
# (context) -> None; runs at the start of every `sop` command, must be cheap when idle
StartupHook = Callable[["Context"], None]


@dataclass(frozen=True)
class StepOutcome:
    """What a feature computes for a human step (issue 18): the branch the records decide
    (None: the person chooses), the note when the person gives none, data for the record."""

    choice: str | None = None
    note: str = ""
    data: Mapping[str, Any] = field(default_factory=dict)

    def decide(self, given: str | None, step: int) -> str | None:
        """Given the person's --choose for the step (None: none), return the branch taken.

        Raise SopError if it contradicts the branch the records decide.
        """
        if self.choice and given not in (None, self.choice):
            raise SopError(
                _(
                    "--choose {step}: {given!r} contradicts the records, which say "
                    "{choice!r}: {note}"
                ).format(step=step, given=given, choice=self.choice, note=self.note)
            )
        return self.choice or given


# (context, request, run id, step number, operator) -> the step's outcome, or None when the
# feature has nothing to say for this request; raise SopError to leave the run waiting.
StepHook = Callable[["Context", "Request", int, int, str], "StepOutcome | None"]


@dataclass(frozen=True)
class Command:
    """A `sop` subcommand group of a feature, loaded only when it is used."""

    help: str
    load: Callable[[], typer.Typer]


@dataclass(frozen=True)
class ReportSection:
    """A part of the core report (Laporan hasil …) that a feature fills for a procedure.

    ``data`` returns the values the templates use; ``markdown`` and ``html`` name
    templates in the feature's own template folder (``templates``).
    """

    data: SectionData
    markdown: str
    html: str


@dataclass(frozen=True)
class Feature:
    """What one procedure family contributes.  Every field but ``name`` is optional."""

    name: str
    procedures: tuple[str, ...] = ()
    # Declarative classes on sop_runner.store.models.Base (defined when the feature loads).
    tables: tuple[type, ...] = ()
    recorders: Mapping[str, Recorder] = field(default_factory=dict)
    derived_params: Mapping[str, Deriver] = field(default_factory=dict)
    param_checks: Mapping[str, ParamCheck] = field(default_factory=dict)
    commands: Mapping[str, Command] = field(default_factory=dict)
    report_sections: Mapping[str, ReportSection] = field(default_factory=dict)
    documents: Mapping[str, DocumentWriter] = field(default_factory=dict)
    on_startup: tuple[StartupHook, ...] = ()
    # Human steps a feature computes from its records, by "PROCEDURE/STEP" (e.g. "1.2/2").
    step_hooks: Mapping[str, StepHook] = field(default_factory=dict)
    # A folder of Jinja2 templates the feature's documents and report sections use.
    templates: Path | None = None


@dataclass(frozen=True)
class Manifest:
    """What every `sop` start needs of a feature, declared without importing its tables.

    ``commands`` and ``on_startup`` must be the feature's own (its ``Feature`` is
    built from them) and ``tables`` the module every table of its ``Feature`` is
    defined in (``check_manifest``); the command groups' ``load`` and the hooks'
    modules import the heavy parts only when called.
    """

    name: str
    commands: Mapping[str, Command] = field(default_factory=dict)
    on_startup: tuple[StartupHook, ...] = ()
    # The module defining the feature's tables: the store imports it (and no more of
    # the feature) before it creates the schema.
    tables: str | None = None


@dataclass(frozen=True)
class Startup:
    """What `sop` starts with: every feature's command groups and start-up hooks."""

    commands: Mapping[str, Command]
    hooks: tuple[StartupHook, ...]


@dataclass(frozen=True)
class Registry:
    """Every feature of this installation, with their contributions merged and checked."""

    features: tuple[Feature, ...]
    recorders: Mapping[str, Recorder]
    commands: Mapping[str, Command]

    def _for(self, contribution: str, procedure_id: str) -> list[Any]:
        """Given a Feature field keyed by procedure id, return every feature's entry for one."""
        return [
            getattr(f, contribution)[procedure_id]
            for f in self.features
            if procedure_id in getattr(f, contribution)
        ]

    def derivers(self, procedure_id: str) -> list[Deriver]:
        """Given a procedure id, return the functions that compute some of its parameters."""
        return self._for("derived_params", procedure_id)

    def param_checks(self, procedure_id: str) -> list[ParamCheck]:
        """Given a procedure id, return the features' own checks of its parameters."""
        return self._for("param_checks", procedure_id)

    def report_sections(self, procedure_id: str) -> list[ReportSection]:
        """Given a procedure id, return the report sections features add for it."""
        return self._for("report_sections", procedure_id)

    def documents(self, procedure_id: str) -> list[DocumentWriter]:
        """Given a procedure id, return the writers of its features' own documents."""
        return self._for("documents", procedure_id)

    def step_outcome(
        self, ctx: Context, request: Request, run_id: int, number: int, operator: str
    ) -> StepOutcome | None:
        """Given a run's human step, return what the first feature with a hook for it
        computes from its records (None: the person alone decides)."""
        for hook in self._for("step_hooks", f"{request.procedure_id}/{number}"):
            found = hook(ctx, request, run_id, number, operator)
            if found is not None:
                return found
        return None

    def startup_hooks(self) -> list[StartupHook]:
        """Return every feature's start-up hook, in feature order."""
        return [hook for f in self.features for hook in f.on_startup]

    def template_dirs(self) -> list[Path]:
        """Return the template folders of every feature that has one."""
        return [f.templates for f in self.features if f.templates is not None]


def build_registry(features: Iterable[Feature]) -> Registry:
    """Given features, return the registry.

    Raise SopError if two features share a name, a recorder key or a command name.
    """
    ordered = tuple(sorted(features, key=lambda f: f.name))
    names: dict[str, str] = {}
    recorders: dict[str, Recorder] = {}
    commands = _commands_of(ordered)
    for feature in ordered:
        if feature.name in names:
            raise SopError(_("feature {name!r}: registered twice").format(name=feature.name))
        names[feature.name] = feature.name
        for key, recorder in feature.recorders.items():
            if key in recorders:
                raise SopError(
                    _("feature {name!r}: recorder {key!r} is already another feature's").format(
                        name=feature.name, key=key
                    )
                )
            recorders[key] = recorder
    return Registry(features=ordered, recorders=recorders, commands=commands)


def _commands_of(declared: Iterable[Manifest | Feature]) -> dict[str, Command]:
    """Given manifests or features (sorted by name), return their command groups by name.

    Raise SopError if two claim one command name.
    """
    commands: dict[str, Command] = {}
    for feature in declared:
        for name, command in feature.commands.items():
            if name in commands:
                raise SopError(
                    _(
                        "feature {feature!r}: command `sop {name}` is already another feature's"
                    ).format(feature=feature.name, name=name)
                )
            commands[name] = command
    return commands


def _load_feature(entry: Entry) -> Feature:
    feature = entry.load()
    if not isinstance(feature, Feature):
        raise SopError(
            _(
                "entry point {name!r} ({value}) of {group}: is not a sop_runner.features.Feature"
            ).format(name=entry.name, value=entry.value, group=ENTRY_POINT_GROUP)
        )
    return feature


@cache
def _entry_points() -> list[Entry]:
    """Return the features' and manifests' entry points of every installed distribution."""
    return entry_points((ENTRY_POINT_GROUP, MANIFEST_GROUP))


def _features_entries() -> list[Entry]:
    return [entry for entry in _entry_points() if entry.group == ENTRY_POINT_GROUP]


def _manifests() -> dict[str, Manifest]:
    """Return the manifests of the installed features, by entry-point name.

    Raise SopError if one is not a Manifest or names no feature.
    """
    features = {entry.name for entry in _features_entries()}
    found: dict[str, Manifest] = {}
    for entry in (e for e in _entry_points() if e.group == MANIFEST_GROUP):
        if entry.name not in features:
            raise SopError(
                _("entry point {name!r} of {group}: no feature of that name in {features}").format(
                    name=entry.name, group=MANIFEST_GROUP, features=ENTRY_POINT_GROUP
                )
            )
        manifest = entry.load()
        if not isinstance(manifest, Manifest):
            raise SopError(
                _(
                    "entry point {name!r} ({value}) of {group}: "
                    "is not a sop_runner.features.Manifest"
                ).format(name=entry.name, value=entry.value, group=MANIFEST_GROUP)
            )
        found[entry.name] = manifest
    return found


def check_manifest(manifest: Manifest, feature: Feature) -> None:
    """Given a feature and its manifest, return if they declare the same name, commands, hooks
    and tables module.

    Raise SopError naming the feature if not (`sop` would start otherwise than it runs).
    """
    same = (
        manifest.name == feature.name
        and dict(manifest.commands) == dict(feature.commands)
        and tuple(manifest.on_startup) == tuple(feature.on_startup)
        and {table.__module__ for table in feature.tables} <= {manifest.tables}
    )
    if not same:
        raise SopError(
            _(
                "feature {name!r}: its Manifest and its Feature declare different "
                "names, commands, start-up hooks or tables modules"
            ).format(name=feature.name)
        )


def lazy_exports(package: str, exports: Mapping[str, str]) -> Callable[[str], Any]:
    """Given a package and {name: its submodule}, return the package's ``__getattr__``.

    A feature package exports its ``FEATURE`` (and any functions for other
    features) this way (PEP 562), so that importing the package for its
    ``MANIFEST`` imports no table: each name is imported on first use.
    """

    def __getattr__(name: str) -> Any:
        if name in exports:
            return getattr(importlib.import_module(f"{package}.{exports[name]}"), name)
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    return __getattr__


@cache
def startup() -> Startup:
    """Return the command groups and start-up hooks of the installed features (once).

    A feature with a manifest is not imported; one without is loaded whole.
    Raise SopError if two features claim one command name.
    """
    manifests = _manifests()
    declared: list[Manifest | Feature] = []
    for entry in _features_entries():
        declared.append(manifests.get(entry.name) or _load_feature(entry))
    declared.sort(key=lambda f: f.name)
    hooks = tuple(hook for f in declared for hook in f.on_startup)
    return Startup(commands=_commands_of(declared), hooks=hooks)


@cache
def define_tables() -> None:
    """Define every installed feature's tables on the store's Base (once), for the schema.

    From a manifest only its tables module is imported; a feature without a
    manifest is loaded whole.
    """
    manifests = _manifests()
    for entry in _features_entries():
        manifest = manifests.get(entry.name)
        if manifest is None:
            _load_feature(entry)
        elif manifest.tables is not None:
            importlib.import_module(manifest.tables)


@cache
def installed() -> Registry:
    """Return the registry of the features installed with this package (loaded once).

    Raise SopError if a feature and its manifest disagree, or two features clash.
    """
    manifests = _manifests()
    features = []
    for entry in _features_entries():
        feature = _load_feature(entry)
        if entry.name in manifests:
            check_manifest(manifests[entry.name], feature)
        features.append(feature)
    return build_registry(features)
