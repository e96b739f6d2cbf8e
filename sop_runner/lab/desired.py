"""srv1's configuration files as the repository desires them, for the lab to start with.

The lab's srv1 must start at its desired configuration (SOP 3.1): a pull request that
changes one value then shows a one-line diff in `sop plan`, not a rewrite of the stock
file.  The text is rendered here from the same role template and values Ansible uses
(roles/web_config, inventory/lab/host_vars/srv1.yml);
tests/unit/test_config.py holds it against Ansible's own rendering.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2
import yaml

from sop_runner.config import REPO_ROOT

# ansible-core's default for {{ ansible_managed }} (ansible.cfg sets none).
ANSIBLE_MANAGED = "Ansible managed"
WEB_ROLE = REPO_ROOT / "roles" / "web_config"
NGINX_TEMPLATE = WEB_ROLE / "templates" / "etc" / "nginx" / "nginx.conf.j2"
LAB_HOST_VARS = REPO_ROOT / "inventory" / "lab" / "host_vars"


def _environment() -> jinja2.Environment:
    # As Ansible's template module renders: trim_blocks on, the final newline kept.
    return jinja2.Environment(trim_blocks=True, keep_trailing_newline=True)


def role_values(role: Path, host: str) -> dict[str, Any]:
    """Given a role and a lab host, return the role's variables with the host's values.

    Defaults that are templates themselves (``{{ inventory_hostname }}``) are rendered
    with the others, as Ansible resolves them lazily.
    """
    values: dict[str, Any] = yaml.safe_load((role / "defaults" / "main.yml").read_text()) or {}
    host_file = LAB_HOST_VARS / f"{host}.yml"
    if host_file.exists():
        values.update(yaml.safe_load(host_file.read_text()) or {})
    values.update(inventory_hostname=host, ansible_managed=ANSIBLE_MANAGED)
    env = _environment()
    return {
        key: env.from_string(value).render(values)
        if isinstance(value, str) and "{{" in value
        else value
        for key, value in values.items()
    }


def nginx_conf(host: str = "srv1") -> str:
    """Given a lab host, return the nginx.conf roles/web_config renders for it."""
    template = _environment().from_string(NGINX_TEMPLATE.read_text())
    return template.render(role_values(WEB_ROLE, host))
