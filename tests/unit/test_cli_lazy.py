"""The lazy `sop` group keeps its promises (issue 17, start-up).

`sop` resolves a core command through the table ``CORE_COMMANDS`` (name → module)
without importing the other modules, and a feature's command groups and start-up
hooks through its ``Manifest`` without importing its tables.  These tests hold the
table to what the modules register and each manifest to its feature, so that the
light start cannot drift from what the commands are.
"""

from __future__ import annotations

import importlib.metadata

import pytest
import typer

from sop_runner.errors import SopError
from sop_runner.features import (
    ENTRY_POINT_GROUP,
    MANIFEST_GROUP,
    Command,
    Feature,
    Manifest,
    check_manifest,
    installed,
    startup,
)

# The module, not the Typer app that sop_runner.cli exports under the same name.
cli_app = importlib.import_module("sop_runner.cli.app")
MODULES = sorted(set(cli_app.CORE_COMMANDS.values()))


@pytest.mark.parametrize("module", MODULES)
def test_the_core_table_names_exactly_what_each_module_registers(module):
    registered = list(cli_app.core_commands(module))
    listed = [name for name, owner in cli_app.CORE_COMMANDS.items() if owner == module]
    assert sorted(registered) == sorted(listed)


def test_the_listing_is_the_core_in_order_then_the_features_by_name():
    group = typer.main.get_command(cli_app.app)
    names = group.list_commands(None)  # type: ignore[attr-defined,arg-type]
    assert names[:3] == ["list", "show", "request"]
    assert names == [*cli_app.CORE_COMMANDS, *sorted(installed().commands)]


def test_every_installed_feature_has_a_manifest_that_agrees_with_it():
    features = {e.name for e in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP)}
    manifests = {e.name: e.load() for e in importlib.metadata.entry_points(group=MANIFEST_GROUP)}
    assert set(manifests) == features  # else that feature is loaded whole at every start
    registry = installed()
    for feature in registry.features:
        check_manifest(manifests[feature.name], feature)
    light = startup()
    assert dict(light.commands) == dict(registry.commands)
    assert list(light.hooks) == registry.startup_hooks()


def test_a_manifest_that_differs_from_its_feature_is_refused():
    command = Command(help="x", load=lambda: typer.Typer())
    feature = Feature(name="a", commands={"x": command})
    check_manifest(Manifest(name="a", commands={"x": command}), feature)
    with pytest.raises(SopError, match="fitur 'a': Manifest dan Feature-nya"):
        check_manifest(Manifest(name="a"), feature)
    with pytest.raises(SopError, match="fitur 'a': Manifest dan Feature-nya"):
        check_manifest(Manifest(name="a", commands={"x": command}, on_startup=(print,)), feature)


def test_a_manifest_naming_another_tables_module_is_refused():
    from sop_runner.store.models import Request  # a table of the core, not of the feature

    feature = Feature(name="a", tables=(Request,))
    check_manifest(Manifest(name="a", tables="sop_runner.store.models"), feature)
    with pytest.raises(SopError, match="modul tabel"):
        check_manifest(Manifest(name="a", tables="sop_dummy.models"), feature)
    with pytest.raises(SopError, match="modul tabel"):
        check_manifest(Manifest(name="a"), feature)  # its tables would not be created
