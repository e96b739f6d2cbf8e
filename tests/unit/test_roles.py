"""Every role documents what it accepts: meta/argument_specs.yml matches its defaults."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

ROLES = sorted(p for p in (Path(__file__).resolve().parents[2] / "roles").iterdir() if p.is_dir())


@pytest.mark.parametrize("role", ROLES, ids=lambda p: p.name)
def test_role_argument_spec_covers_its_defaults(role: Path) -> None:
    spec_file = role / "meta" / "argument_specs.yml"
    assert spec_file.exists(), f"{role.name}: no meta/argument_specs.yml"
    options = yaml.safe_load(spec_file.read_text())["argument_specs"]["main"]["options"]
    defaults = yaml.safe_load((role / "defaults" / "main.yml").read_text()) or {}
    assert sorted(set(defaults) - set(options)) == [], "defaults without an argument spec"
    for name, option in options.items():
        assert option.get("description"), f"{role.name}: {name} has no description"
        if "default" in option and isinstance(defaults.get(name), str) and "{{" in defaults[name]:
            pytest.fail(f"{role.name}: {name} has a templated default; leave it out of the spec")


@pytest.mark.parametrize("role", ROLES, ids=lambda p: p.name)
def test_role_has_no_lab_only_branches(role: Path) -> None:
    # Lab workarounds live in the lab (its inventory, its host set-up), not in production roles.
    for path in role.rglob("*.yml"):
        assert "sop_lab" not in path.read_text(), f"{path} refers to sop_lab"
