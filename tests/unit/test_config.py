"""SOP 3.1 pieces that need no lab: parsing FRR output, the plan, the recorder."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from sop_runner.config import REPO_ROOT
from sop_runner.procedures import config, config_plan
from sop_runner.store.models import ConfigLogEntry, Request, Run

sys.path.insert(0, str(REPO_ROOT / "plugins" / "module_utils"))
import sop_netconfig

RELOAD_OUTPUT = """
Lines To Delete
===============
interface eth1
 no description transit to gw

Lines To Add
============
no ip route 10.77.100.0/24 Null0
interface eth1
 description transit to gw (v2)
"""


def test_frr_reload_output_becomes_commands() -> None:
    assert sop_netconfig.parse_frr_reload(RELOAD_OUTPUT) == [
        "- interface eth1",
        "-  no description transit to gw",
        "+ no ip route 10.77.100.0/24 Null0",
        "+ interface eth1",
        "+  description transit to gw (v2)",
    ]
    assert sop_netconfig.parse_frr_reload("") == []


def test_running_config_header_is_stripped() -> None:
    shown = "Building configuration...\n\nCurrent configuration:\n!\nfrr version 8.4.4\nend\n"
    assert sop_netconfig.frr_strip(shown) == "frr version 8.4.4\nend\n"


def test_health_checks_find_missing_routes_and_down_interfaces() -> None:
    routes = {"10.77.2.0/24": [{"selected": True, "installed": True}], "10.9.0.0/16": [{}]}
    assert sop_netconfig.route_problems(routes, ["10.77.2.0/24"]) == []
    assert sop_netconfig.route_problems(routes, ["10.9.0.0/16", "10.8.0.0/16"]) == [
        "route 10.9.0.0/16 is not in the routing table",
        "route 10.8.0.0/16 is not in the routing table",
    ]
    interfaces = {"eth0": {"operationalStatus": "up"}, "eth1": {"operationalStatus": "down"}}
    assert sop_netconfig.interface_problems(interfaces, ["eth0", "eth1", "eth9"]) == [
        "interface eth1 is down",
        "interface eth9 does not exist",
    ]


def test_unsupported_platform_is_refused() -> None:
    with pytest.raises(sop_netconfig.NetconfigError, match=r"vyos.*mikrotik_routeros"):
        sop_netconfig.make_driver({"platform": "vyos", "host": "x", "username": "u"})


def test_plan_markdown_shows_diffs_errors_and_unchanged_devices() -> None:
    plan = {
        "srv1": {
            "kind": "server",
            "changed": True,
            "files": ["/etc/nginx/nginx.conf"],
            "before": "a 1;\nb 2;\n",
            "after": "a 1;\nb 3;\n",
        },
        "rtr1": {"kind": "network_device", "changed": False, "diff": "", "commands": []},
    }
    text = config_plan.render_plan(plan, {"srv2": "template: undefined"}, ["srv1", "rtr1"], "en")
    assert "| `srv1` | server | **will change** (2 ±) |" in text
    assert "| `rtr1` | network_device | no change |" in text
    assert "| `srv2` | - | **FAILED to render** |" in text
    assert "```diff\n--- /etc/nginx/nginx.conf (before)" in text and "+b 3;" in text
    assert "### `rtr1`" not in text
    assert "akan berubah" in config_plan.render_plan(plan, {}, ["srv1"], "id")


def test_recorder_logs_only_changed_devices(sop_env) -> None:
    with sop_env.ctx().session() as session:
        request = Request(
            procedure_id="3.1",
            targets=["srv1", "rtr1"],
            params={"config_ref": "pr-5"},
            reason="naikkan keepalive",
            requested_by="budi",
            created_at="2025-01-01T00:00:00+00:00",
        )
        session.add(request)
        session.flush()
        run = Run(
            request_id=request.id, operator="budi", status="running", started_at=datetime.now(UTC)
        )
        session.add(run)
        session.flush()
        count = config.record_config_changes(
            session,
            run.id,
            {
                "srv1": {
                    "kind": "server",
                    "changed": True,
                    "files": ["/etc/x.conf"],
                    "before": "k 65;\n",
                    "after": "k 30;\n",
                    "steps": ["s"],
                    "tests": {"port": True},
                },
                "rtr1": {"kind": "network_device", "changed": False, "diff": ""},
            },
        )
        assert count == 1
        entry = session.scalars(select(ConfigLogEntry)).one()
        assert entry.device == "srv1" and "-k 65;\n+k 30;" in entry.substance
        assert "pr-5" in entry.notes and "test passed" in entry.notes
        doc = session.scalars(select(config.ConfigDocument)).one()
        assert (doc.purpose, doc.existing_state, doc.log_id) == (
            "naikkan keepalive",
            "k 65;\n",
            entry.id,
        )


def test_words_exist_in_both_languages() -> None:
    assert set(config.WORDS["id"]) == set(config.WORDS["en"])
    assert set(config_plan.WORDS["id"]) == set(config_plan.WORDS["en"])


def test_module_documentation_renders() -> None:
    out = subprocess.run(
        [str(REPO_ROOT / ".venv/bin/ansible-doc"), "-M", str(REPO_ROOT / "library"), "netconfig"],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    assert "commit-confirm" in out.stdout and "revert_in" in out.stdout
