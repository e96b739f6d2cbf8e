"""AWX as code: the awx.awx configuration playbook (awx/configure.yml), from the catalog.

One job template per playbook of the catalog, named by its procedure and step; its survey
asks the one thing a run of an approved request needs, the request's id (the parameters
are fixed and signed in the request: the gate hands them to the play, and refuses any
other extra var).  The questions' texts and the template's description are generated
from the procedure's parameter schemas, so the AWX user sees what the request fixed.  A
custom credential type injects the trusted settings; schedules of 7.1, 7.2 and 6.1 launch
awx/scheduled_run.yml, which makes a request and runs it through `sop` as a person would.

    python -m sop_runner.awx.config > awx/configure.yml
"""

from __future__ import annotations

import sys
from typing import Any

import yaml

from sop_runner.catalog import Catalog, Procedure, Step, load_catalog
from sop_runner.catalog.model import Param

ORG = "{{ sop_awx_organization }}"
PROJECT = "sop-pusatdata"
INVENTORY = "Pusat Data"
EE = "sop-pusatdata-ee"
CREDENTIAL_TYPE = "sop-pusatdata (pengaturan tepercaya)"
CREDENTIAL = "sop-pusatdata"
SCHEDULED_TEMPLATE = "SOP terjadwal (sop request + sop run)"
# The documents' minimums (SOP 7.1 monthly, 7.2 weekly: the times of `sop backup
# schedule`) and the periodic 6.1 monitoring, in Indonesian time; the confirmations are
# the steps a scheduled run records "terjadwal".
AWX_SCHEDULES = (
    ("7.1", "file", "DTSTART;TZID=Asia/Jakarta:20270101T023000 RRULE:FREQ=MONTHLY;BYMONTHDAY=1",
     [1, 2, 4]),
    ("7.2", "database", "DTSTART;TZID=Asia/Jakarta:20270103T013000 RRULE:FREQ=WEEKLY;BYDAY=SU",
     [1, 2, 3, 5]),
    ("6.1", "monitoring", "DTSTART;TZID=Asia/Jakarta:20270101T070000 RRULE:FREQ=DAILY",
     []),
)  # fmt: skip
DEFAULTS = {
    "sop_awx_organization": "Diskominfo Kabupaten Tegal",
    "sop_awx_project_url": "https://git.example.invalid/diskominfo-tegal/sop-pusatdata.git",
    "sop_awx_project_branch": "main",
    "sop_awx_ee_image": "registry.example.invalid/diskominfo-tegal/sop-pusatdata-ee:latest",
    "sop_awx_inventory_file": "inventory/lab/hosts.yml",
    "sop_awx_machine_credential": "Pusat Data SSH",
    "sop_awx_trust_file": "/etc/sop-pusatdata/trust.yml",
    "sop_awx_operator": "budi",
    "sop_awx_schedules": {kind: {"targets": [], "params": {}} for _, kind, _, _ in AWX_SCHEDULES},
}


class _Unsafe(str):
    """A text AWX templates itself (an injector's ``{{ field }}``): Ansible must not."""


class _Dumper(yaml.SafeDumper):
    """Lists indented under their key, as yamllint (ansible-lint) wants them."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


_Dumper.add_representer(
    _Unsafe, lambda dumper, text: dumper.represent_scalar("!unsafe", str(text), style="'")
)


def template_name(procedure: Procedure, step: Step, playbook: str) -> str:
    """Given a procedure, its step and one of the step's playbooks, return the template's name."""
    return f"SOP {procedure.id} langkah {step.number}: {playbook.removesuffix('.yml')}"


def _shown(value: Any) -> str:
    return " | ".join(map(str, value)) if isinstance(value, tuple) else str(value)


def _param_line(param: Param) -> str:
    rules = ", ".join(f"{k}={_shown(v)}" for k, v in param.rules if k not in ("allowed", "pattern"))
    needed = "wajib" if param.required else "opsional"
    return f"{param.name} ({param.type}, {needed}{', ' + rules if rules else ''})"


def survey(procedure: Procedure, step: Step) -> dict[str, Any]:
    """Given a procedure and a step with a playbook, return the template's survey spec."""
    params = [p for p in procedure.params if not p.derived]
    fixed = "; ".join(_param_line(p) for p in params) or "tidak ada"
    return {
        "name": f"SOP {procedure.id} langkah {step.number}",
        "description": f"Permintaan yang disetujui (parameter tetap dari permintaan: {fixed})",
        "spec": [
            {
                "type": "integer",
                "question_name": "Nomor permintaan (sop request)",
                "question_description": (
                    f"Permintaan SOP {procedure.id} yang sudah ditandatangani dan disetujui; "
                    f"parameternya: {fixed}. Batasi (limit) job ke target permintaan itu."
                ),
                "variable": "sop_request",
                "required": True,
                "min": 1,
                "max": 2_147_483_647,
                "default": "",
            }
        ],
    }


def _job_template(procedure: Procedure, step: Step, playbook: str) -> dict[str, Any]:
    name = template_name(procedure, step, playbook)
    gated = "bergerbang" if step.needs_approval else "tanpa gerbang persetujuan"
    return {
        "name": f"Job template {name}",
        "awx.awx.job_template": {
            "name": name,
            "description": f"{procedure.title.get('id')} — {step.activity.get('id')[:200]} "
            f"({gated})",
            "organization": ORG,
            "project": PROJECT,
            "playbook": f"playbooks/{playbook}",
            "inventory": INVENTORY,
            "execution_environment": EE,
            "credentials": ["{{ sop_awx_machine_credential }}", CREDENTIAL],
            "job_type": "run",
            "ask_limit_on_launch": True,
            "ask_job_type_on_launch": True,
            "survey_enabled": True,
            "survey_spec": survey(procedure, step),
            "state": "present",
        },
    }


def job_templates(catalog: Catalog) -> list[dict[str, Any]]:
    """Given the catalog, return one job template task per (procedure, step, playbook)."""
    return [
        _job_template(procedure, step, playbook)
        for procedure in catalog.procedures
        for step in procedure.steps
        for playbook in step.all_playbooks
    ]


def credential_type() -> dict[str, Any]:
    """Return the credential type that injects the trusted settings into every job."""
    fields = [
        ("trust_file", "Berkas kepercayaan (milik root, dipasang read-only)", False, False),
        ("store_url", "URL penyimpanan (harus sama dengan berkas kepercayaan)", True, False),
        ("operator", "Nama operator di registri", False, False),
        ("operator_key", "Kunci privat operator (isi <nama>.ed25519)", True, True),
    ]
    return {
        "name": "Credential type: trusted settings of sop",
        "awx.awx.credential_type": {
            "name": CREDENTIAL_TYPE,
            "description": "Berkas kepercayaan, penyimpanan dan operator untuk gerbang sop_gate",
            "kind": "cloud",
            "inputs": {
                "fields": [
                    {"id": key, "label": label, "type": "string", "secret": secret}
                    | ({"multiline": True} if multiline else {})
                    for key, label, secret, multiline in fields
                ],
                "required": ["trust_file", "operator"],
            },
            "injectors": {
                "env": {
                    "SOP_TRUST_FILE": _Unsafe("{{ trust_file }}"),
                    "SOP_DB_URL": _Unsafe("{{ store_url }}"),
                    "SOP_OPERATOR": _Unsafe("{{ operator }}"),
                    "SOP_OPERATOR_KEY_FILE": _Unsafe("{{ tower.filename.operator_key }}"),
                },
                "file": {"template.operator_key": _Unsafe("{{ operator_key }}")},
            },
            "state": "present",
        },
    }


def _schedule(procedure_id: str, kind: str, rrule: str, confirm: list[int]) -> dict[str, Any]:
    settings = f"sop_awx_schedules.{kind}"
    return {
        "name": f"Schedule SOP {procedure_id} ({kind})",
        "awx.awx.schedule": {
            "name": f"SOP {procedure_id} terjadwal ({kind})",
            "description": f"Permintaan SOP {procedure_id} dibuat dan dijalankan oleh sop",
            "unified_job_template": SCHEDULED_TEMPLATE,
            "organization": ORG,
            "rrule": rrule,
            "extra_data": {
                "sop_schedule": {
                    "procedure": procedure_id,
                    "targets": "{{ " + settings + ".targets }}",
                    "params": "{{ " + settings + ".params }}",
                    "confirm": confirm,
                    "reason": f"jadwal SOP {procedure_id} ({kind})",
                }
            },
            "enabled": True,
            "state": "present",
        },
    }


def schedules() -> list[dict[str, Any]]:
    """Return the scheduled template and the schedules of 7.1, 7.2 and 6.1."""
    template = {
        "name": "Job template of the scheduled runs",
        "awx.awx.job_template": {
            "name": SCHEDULED_TEMPLATE,
            "description": "Membuat permintaan dan menjalankannya lewat sop (gerbang dan catatan)",
            "organization": ORG,
            "project": PROJECT,
            "playbook": "awx/scheduled_run.yml",
            "inventory": INVENTORY,
            "execution_environment": EE,
            "credentials": [CREDENTIAL],
            "ask_variables_on_launch": True,
            "state": "present",
        },
    }
    return [template, *(_schedule(*entry) for entry in AWX_SCHEDULES)]


def _setup_tasks() -> list[dict[str, Any]]:
    return [
        {
            "name": "Organisation",
            "awx.awx.organization": {"name": ORG, "state": "present"},
        },
        credential_type(),
        {
            "name": "Credential with the trusted settings",
            "no_log": True,
            "awx.awx.credential": {
                "name": CREDENTIAL,
                "organization": ORG,
                "credential_type": CREDENTIAL_TYPE,
                "inputs": {
                    "trust_file": "{{ sop_awx_trust_file }}",
                    "store_url": "{{ sop_awx_store_url | default('') }}",
                    "operator": "{{ sop_awx_operator }}",
                    "operator_key": "{{ sop_awx_operator_key | default('') }}",
                },
                "update_secrets": False,
                "state": "present",
            },
        },
        {
            "name": "Execution environment",
            "awx.awx.execution_environment": {
                "name": EE,
                "image": "{{ sop_awx_ee_image }}",
                "organization": ORG,
                "pull": "missing",
                "state": "present",
            },
        },
        {
            "name": "Project",
            "awx.awx.project": {
                "name": PROJECT,
                "organization": ORG,
                "scm_type": "git",
                "scm_url": "{{ sop_awx_project_url }}",
                "scm_branch": "{{ sop_awx_project_branch }}",
                "default_environment": EE,
                "state": "present",
            },
        },
        {
            "name": "Inventory",
            "awx.awx.inventory": {"name": INVENTORY, "organization": ORG, "state": "present"},
        },
        {
            "name": "Inventory source from the project",
            "awx.awx.inventory_source": {
                "name": f"{INVENTORY} (proyek)",
                "inventory": INVENTORY,
                "organization": ORG,
                "source": "scm",
                "source_project": PROJECT,
                "source_path": "{{ sop_awx_inventory_file }}",
                "overwrite": True,
                "update_on_launch": True,
                "state": "present",
            },
        },
    ]


def configuration(catalog: Catalog) -> list[dict[str, Any]]:
    """Given the catalog, return the configuration playbook as data."""
    return [
        {
            "name": "Configure AWX for sop-pusatdata (generated from the catalog)",
            "hosts": "localhost",
            "connection": "local",
            "gather_facts": False,
            "vars": DEFAULTS,
            "tasks": [*_setup_tasks(), *job_templates(catalog), *schedules()],
        }
    ]


HEADER = (
    "---\n# Generated from the catalog by `python -m sop_runner.awx.config`: do not edit by\n"
    "# hand (tests/unit/test_awx_config.py compares).  How to use it: docs/awx.md.\n"
)


def render(catalog: Catalog | None = None) -> str:
    """Given the catalog (the installed one by default), return awx/configure.yml's text."""
    plays = configuration(catalog or load_catalog())
    body = yaml.dump(plays, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)
    return HEADER + body


if __name__ == "__main__":
    sys.stdout.write(render())
