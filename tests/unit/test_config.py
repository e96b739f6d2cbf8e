"""SOP 3.1 pieces that need no lab and no subprocess: parsing FRR output, the plan, the
words, the lab's sysctl file."""

from __future__ import annotations

import jinja2
import pytest
import yaml
from ansible.module_utils import sop_netconfig

from sop_runner.config import REPO_ROOT
from sop_runner.lab import hosts
from sop_runner.procedures.config.documents import render_plan
from sop_runner.procedures.config.words import WORDS

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
    text = render_plan(plan, {"srv2": "template: undefined"}, ["srv1", "rtr1"], "en")
    assert "| `srv1` | server | **will change** (2 ±) |" in text
    assert "| `rtr1` | network_device | no change |" in text
    assert "| `srv2` | - | **FAILED to render** |" in text
    assert "```diff\n--- /etc/nginx/nginx.conf (before)" in text and "+b 3;" in text
    assert "### `rtr1`" not in text
    assert "akan berubah" in render_plan(plan, {}, ["srv1"], "id")


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
    text = render_plan(plan, {}, ["srv1"], "en")
    assert "| `srv1` | server | **will change** (2 ±) |" in text
    assert text.count("### `srv1`") == 1 and "srv1/" not in text
    assert "--- /etc/sysctl.d/60.conf, /proc/sys (before)" in text and "+x = 30" in text


def test_words_exist_in_both_languages() -> None:
    assert set(WORDS["id"]) == set(WORDS["en"])


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


def test_lab_srv1_starts_with_the_nginx_conf_the_repository_desires() -> None:
    """The lab writes srv1's nginx.conf itself (issue 16): it must be what Ansible's
    templating renders from roles/web_config and inventory/lab/host_vars/srv1.yml, or
    every `sop plan` on srv1 shows a rewrite of the stock file instead of one PR's line."""
    from ansible.parsing.dataloader import DataLoader
    from ansible.template import Templar, trust_as_template

    from sop_runner.lab import desired

    role = REPO_ROOT / "roles" / "web_config"
    values = yaml.safe_load((role / "defaults/main.yml").read_text())
    values.update(yaml.safe_load((REPO_ROOT / "inventory/lab/host_vars/srv1.yml").read_text()))
    values.update(inventory_hostname="srv1", ansible_managed="Ansible managed")
    templar = Templar(
        loader=DataLoader(),
        variables={k: trust_as_template(v) if isinstance(v, str) else v for k, v in values.items()},
    )
    source = (role / "templates/etc/nginx/nginx.conf.j2").read_text()
    by_ansible = templar.template(
        trust_as_template(source), overrides={"trim_blocks": True}, escape_backslashes=False
    )
    assert desired.nginx_conf("srv1") == by_ansible
    assert "keepalive_timeout 65;" in by_ansible and "listen 8090;" in by_ansible
