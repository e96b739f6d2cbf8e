"""SOP 3.1 pieces that need no lab: parsing FRR output, the plan, the recorder, the
lab's sysctl file."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime

import jinja2
import pytest
import yaml
from sqlalchemy import select

from sop_runner.config import REPO_ROOT
from sop_runner.lab import hosts
from sop_runner.procedures import config, config_plan
from sop_runner.procedures.config import ConfigLogEntry
from sop_runner.store.models import Request, Run

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


def test_plan_puts_several_configurations_of_one_host_in_one_row() -> None:
    nginx = {"device": "srv1", "kind": "server", "changed": False, "files": ["/etc/nginx.conf"]}
    sysctl = {
        "device": "srv1",
        "kind": "server",
        "changed": True,
        "files": ["/etc/sysctl.d/60.conf", "/proc/sys"],
        "before": "x = 60\n",
        "after": "x = 30\n",
    }
    plan = {"srv1/web_config": nginx, "srv1/sysctl_config": sysctl}
    text = config_plan.render_plan(plan, {}, ["srv1"], "en")
    assert "| `srv1` | server | **will change** (2 ±) |" in text
    assert text.count("### `srv1`") == 1 and "srv1/" not in text
    assert "--- /etc/sysctl.d/60.conf, /proc/sys (before)" in text and "+x = 30" in text


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
                "srv1/sysctl_config": {
                    "device": "srv1",
                    "kind": "server",
                    "changed": True,
                    "files": ["/etc/sysctl.d/60.conf"],
                    "before": "x = 60\n",
                    "after": "x = 30\n",
                },
                "srv1/web_config": {"device": "srv1", "kind": "server", "changed": False},
            },
        )
        assert count == 2
        sysctl = session.scalars(select(ConfigLogEntry).where(ConfigLogEntry.id == 2)).one()
        assert sysctl.device == "srv1" and "+x = 30" in sysctl.substance
        entry = session.scalars(select(ConfigLogEntry).where(ConfigLogEntry.id == 1)).one()
        assert entry.device == "srv1" and "-k 65;\n+k 30;" in entry.substance
        assert "pr-5" in entry.notes and "test passed" in entry.notes
        doc = session.scalars(
            select(config.ConfigDocument).where(config.ConfigDocument.log_id == entry.id)
        ).one()
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


def test_lab_srv1_starts_with_the_sysctl_file_the_repository_desires() -> None:
    """The lab writes srv1's sysctl file itself; it must be what roles/sysctl_config
    renders from inventory/lab/host_vars/srv1.yml, or every 3.1 run on srv1 changes it."""
    role = REPO_ROOT / "roles" / "sysctl_config"
    values = yaml.safe_load((REPO_ROOT / "inventory/lab/host_vars/srv1.yml").read_text())
    assert values["sysctl_config_managed"] is True
    defaults = yaml.safe_load((role / "defaults/main.yml").read_text())
    assert defaults["sysctl_config_file"] == hosts.SRV1_SYSCTL_FILE
    template = (role / "templates/etc/sysctl.d/sop-pusatdata.conf.j2").read_text()
    rendered = (
        jinja2.Environment(trim_blocks=True, keep_trailing_newline=True)
        .from_string(template)
        .render(
            inventory_hostname="srv1",
            sysctl_config_desired={k: str(v) for k, v in values["sysctl_config_values"].items()},
        )
    )
    assert rendered == hosts.SRV1_SYSCTL_TEXT


def test_a_plan_does_not_turn_later_runs_into_check_runs(tmp_path) -> None:
    """ansible-runner reads back the env files of earlier runs; a check run (`sop plan`)
    left "--check --diff" there, and the next real run changed nothing and passed."""
    from sop_runner.config import Settings
    from sop_runner.runner import run_playbook

    repo = tmp_path / "repo"
    (repo / "playbooks").mkdir(parents=True)
    (repo / "ansible.cfg").write_text("[defaults]\ngathering = explicit\n")
    (repo / "playbooks" / "probe.yml").write_text(
        "- hosts: all\n  gather_facts: false\n  tasks:\n"
        "    - ansible.builtin.set_stats:\n"
        "        data: {mode: \"{{ 'check' if ansible_check_mode else 'real' }}\","
        " v: \"{{ v | default('none') }}\"}\n"
    )
    inventory = tmp_path / "hosts.yml"
    inventory.write_text(
        "all:\n  hosts:\n    localhost: {ansible_connection: local,"
        f" ansible_python_interpreter: {sys.executable}}}\n"
    )
    settings = Settings(
        repo_root=repo,
        data_dir=tmp_path / "data",
        db_url="sqlite://",
        inventory=inventory,
        operators_file=tmp_path / "operators.yml",
        key_dir=tmp_path / "keys",
        lang="en",
    )
    plan = run_playbook(settings, "probe.yml", ["localhost"], {"v": "a"}, "plan-1", check=True)
    run = run_playbook(settings, "probe.yml", ["localhost"], {}, "r1-s4-a1")
    assert (plan.artifact_data, run.artifact_data) == (
        {"mode": "check", "v": "a"},
        {"mode": "real", "v": "none"},
    )
