"""`sop list` and `sop show` start light (issue 17): no store, no feature is imported.

The start-up goal (bench/startup.py: well under half of `ansible-playbook --version`)
holds only while these commands import neither SQLAlchemy nor any feature package
(their tables, recorders, documents).  A real `sop` run writes the modules it had
loaded when it ended (``sys.modules``, which also sees ``importlib.import_module``,
unlike `-X importtime`); these tests fail the day one of them comes back.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from sop_runner.config import REPO_ROOT

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)

# What a catalog command must not load: the store, the gates, Ansible, templates, pydantic …
HEAVY = ("sqlalchemy", "sop_runner.store", "sop_runner.gates", "ansible", "jinja2", "pydantic")
# … nor any feature: of a feature, every start reads only its package (its MANIFEST)
# and the modules of its start-up hook, never its tables, recorders or commands.
# The register's rooms are the site's places (issue 18): read, with the database's own
# driver, whenever a command loads the inventory (status does, for the gates' impact).
STARTUP_MODULES = {
    "sop_runner.procedures.config.recover",
    "sop_runner.procedures.config.words",
    "sop_runner.procedures.register.rooms",
}


# `python -m sop_runner.cli ARGS`, writing the loaded modules to a file when it exits.
RUN = """
import atexit, runpy, sys
listing = sys.argv.pop(1)
atexit.register(lambda: open(listing, "w").write("\\n".join(sorted(sys.modules))))
runpy.run_module("sop_runner.cli", run_name="__main__", alter_sys=True)
"""


def _imported(tmp_path: Path, *args: str) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    """Given `sop` arguments, run them; return the run and the modules it had loaded."""
    listing = tmp_path / "modules.txt"
    run = subprocess.run(
        [sys.executable, "-c", RUN, str(listing), *args],
        capture_output=True, text=True, env=dict(os.environ), cwd=REPO_ROOT, timeout=120,
    )  # fmt: skip
    return run, set(listing.read_text().split())


def _heavy(modules: set[str]) -> list[str]:
    heavy = {m for m in modules if any(m == h or m.startswith(h + ".") for h in HEAVY)}
    features = {
        m
        for m in modules
        if m.startswith("sop_runner.procedures.") and m.count(".") > 2 and m not in STARTUP_MODULES
    }
    return sorted(heavy | features)


# What every start keeps between starts (issue 17s): the compiled gettext catalog, the
# features' entry points, the validated catalog and the catalog commands' views
# (sop_runner/cli/view_cache.py). Once kept, none of these is imported.
KEPT = ("importlib.metadata", "yaml", "jsonschema", "sop_runner.catalog")
# Measured 2026-11-30 (bench/RESULTS.md, start-up) on a machine whose site packages add
# about 50: list/show 265 modules (were about 310), list --json 211, status 281 (was about
# 370). A little room; a new heavy import fails here.
MODULE_LIMITS = {"list": 280, "show": 280, "list --json": 225, "status": 300}


def _named(modules: set[str], names: tuple[str, ...]) -> list[str]:
    return sorted(m for m in modules if any(m == n or m.startswith(n + ".") for n in names))


@pytest.mark.parametrize("args", [["list"], ["show", "3.1"], ["list", "--json"]])
def test_catalog_commands_import_no_store_and_no_feature(sop_env, tmp_path, args):
    _imported(tmp_path, *args)  # a first start keeps what later starts read
    run, modules = _imported(tmp_path, *args)
    assert run.returncode == 0, run.stderr[-2000:]
    assert "sop_runner.cli.app" in modules  # the log is read right
    assert _heavy(modules) == []
    assert _named(modules, KEPT) == []
    if args[-1] == "--json":  # JSON is written without rich (sop_runner/lazy_console.py)
        assert _named(modules, ("rich",)) == []
    named = " ".join(a for a in args if a != "3.1")
    assert len(modules) <= MODULE_LIMITS[named], len(modules)


def test_a_feature_command_still_loads_its_feature(sop_env, tmp_path):
    run, modules = _imported(tmp_path, "backup", "--help")
    assert run.returncode == 0, run.stderr[-2000:]
    assert "sop_runner.procedures.backup.cli" in modules
    assert "sop_runner.procedures.grants.cli" not in modules  # only the one asked for


def test_status_reads_a_request_without_ansible(sop_env, tmp_path):
    """`sop status` shows a request; it needs the inventory's names, not Ansible's manager."""
    made = sop_env.sop(*REQUEST, operator="budi")
    assert made.returncode == 0, made.stderr
    run, modules = _imported(tmp_path, "status", made.stdout.strip())
    assert run.returncode == 0, run.stderr[-2000:]
    assert "sop_runner.gates" in modules  # the gates were read
    assert not [m for m in modules if m == "ansible" or m.startswith("ansible.")]
    assert not [m for m in modules if m == "pydantic" or m.startswith("pydantic.")]


# What `sop status` must not load (issue 17, its light path): the ORM and SQLAlchemy
# altogether (the store is read with the database's own driver, sop_runner/store_reads.py),
# the store's models and schema, the features' tables, Ansible, pydantic, templates.
STATUS_HEAVY = ("sqlalchemy", "sop_runner.store", "ansible", "pydantic", "jinja2")


@pytest.mark.parametrize("json_flag", [[], ["--json"]])
def test_status_reads_the_store_without_sqlalchemy(sop_env, tmp_path, json_flag):
    made = sop_env.sop(*REQUEST, operator="budi")
    assert made.returncode == 0, made.stderr
    run, modules = _imported(tmp_path, "status", made.stdout.strip(), *json_flag)
    assert run.returncode == 0, run.stderr[-2000:]
    assert "sop_runner.gates" in modules and "sop_runner.store_reads" in modules
    heavy = {m for m in modules if any(m == h or m.startswith(h + ".") for h in STATUS_HEAVY)}
    assert sorted(heavy) == []
    features = [m for m in modules if m.startswith("sop_runner.procedures.") and m.count(".") > 2]
    assert sorted(set(features) - STARTUP_MODULES) == []
    # Kept between starts (the trust documents' schemas too: sop_runner/trust/schema.py).
    run, modules = _imported(tmp_path, "status", made.stdout.strip(), *json_flag)
    assert _named(modules, ("importlib.metadata", "jsonschema")) == []
    # Printed to a pipe, a status needs no rich: it would colour nothing there.
    assert _named(modules, ("rich",)) == []
    assert len(modules) <= MODULE_LIMITS["status"], len(modules)


REQUEST = (
    "request", "6.1", "--target", "ctl1", "--reason", "bench", "--quiet",
    "--param", "cleanup_path=/var/tmp/sop-startup", "--param", "max_age_days=30",
)  # fmt: skip
