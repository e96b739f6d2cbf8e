"""Services and impact decide which gates a request needs and whether a circular is
drafted (catalog and inventory only: the store is never opened, so one SQLite
installation serves).  Issue 16: a circular only in the procedures whose text has
that step, the Pimpinan only where the document names them, the outage only of the
steps that interrupt service."""

from __future__ import annotations

import pytest

from sop_runner import gates, impact


@pytest.mark.parametrize("procedure_id", ["6.1", "7.1", "7.2", "7.3", "7.4", "3.1", "3.2"])
def test_no_circular_where_the_text_has_none_even_on_a_critical_host(sqlite_sop_env, procedure_id):
    ctx = sqlite_sop_env.ctx()
    procedure = ctx.catalog.get(procedure_id)
    hit = impact.analyse(procedure, ctx.inventory, ["ctl2"])
    assert [s.name for s in hit.services] == ["simpeg"]
    assert not hit.circular_required


@pytest.mark.parametrize("procedure_id", ["6.1", "7.1", "7.5", "1.2"])
def test_no_pimpinan_where_the_document_names_none(sqlite_sop_env, procedure_id):
    ctx = sqlite_sop_env.ctx()
    procedure = ctx.catalog.get(procedure_id)
    hit = impact.analyse(procedure, ctx.inventory, ["ctl2"])
    roles = {g.role for g in gates.requirements(procedure, hit) if g.required}
    assert "pimpinan" not in roles


def test_the_pimpinan_where_the_document_names_them(sqlite_sop_env):
    ctx = sqlite_sop_env.ctx()
    procedure = ctx.catalog.get("3.1")
    hit = impact.analyse(procedure, ctx.inventory, ["ctl2"])
    roles = {(g.step_number, g.role) for g in gates.requirements(procedure, hit) if g.required}
    assert (2, "pimpinan") in roles and (2, "penanggung_jawab") in roles


@pytest.mark.parametrize("procedure_id", ["2.1", "2.2", "2.3", "6.3", "6.4", "1.1"])
def test_places_hit_no_host_services(sqlite_sop_env, procedure_id):
    ctx = sqlite_sop_env.ctx()
    procedure = ctx.catalog.get(procedure_id)
    assert procedure.target == "place"
    hit = impact.analyse(procedure, ctx.inventory, ["server-farm"])
    assert hit.services == () and not hit.circular_required
    assert "pimpinan" not in {g.role for g in gates.requirements(procedure, hit) if g.required}


def test_4_2_on_a_critical_host_drafts_a_circular_with_only_interrupting_steps(sqlite_sop_env):
    ctx = sqlite_sop_env.ctx()
    procedure = ctx.catalog.get("4.2")
    hit = impact.analyse(procedure, ctx.inventory, ["ctl2"])
    assert hit.circular_required
    # Only step 8 (the upgrade itself, 180 minutes) stops the services: not the 1-3 day
    # backup, not the tests, not the reports.
    assert hit.interrupting_steps == (8,)
    assert hit.outage_min_seconds == hit.outage_max_seconds == 180 * 60
    normal = impact.analyse(procedure, ctx.inventory, ["ctl1"])
    assert not normal.circular_required


def test_1_4_drafts_a_circular_when_its_plan_names_a_service(sqlite_sop_env):
    ctx = sqlite_sop_env.ctx()
    procedure = ctx.catalog.get("1.4")
    assert not impact.analyse(procedure, ctx.inventory, ["server-farm"], {}).circular_required
    planned = impact.analyse(procedure, ctx.inventory, ["server-farm"], {"services": ["portal"]})
    assert planned.circular_required and [s.name for s in planned.services] == ["portal"]


def test_project_rules_are_marked_and_can_be_switched_off(sqlite_sop_env, tmp_path):
    ctx = sqlite_sop_env.ctx()
    procedure = ctx.catalog.get("7.5")
    assert procedure.step(2).gate_rule == "project"
    hit = impact.analyse(procedure, ctx.inventory, ["ctl1"])
    (gate,) = gates.requirements(procedure, hit)
    assert gate.required and "project rule" in gate.why
    off = impact.Impact(
        services=(), outage_min_seconds=0, outage_max_seconds=0, project_gates=False
    )
    (gate,) = gates.requirements(procedure, off)
    assert not gate.required


def test_a_6_1_monitoring_request_has_no_gate_and_its_repair_no_pimpinan(sqlite_sop_env):
    # Issue 16: 6.1 names no Pimpinan; the repair request's gate is the PJ's alone.
    ctx = sqlite_sop_env.ctx()
    procedure = ctx.catalog.get("6.1")
    hit = impact.analyse(procedure, ctx.inventory, ["ctl2"])
    assert not [g for g in gates.requirements(procedure, hit, {}) if g.required]
    repair = {"follows": 1, "cleanup_path": "/var/tmp/app", "max_age_days": 30}
    roles = {
        (g.step_number, g.role) for g in gates.requirements(procedure, hit, repair) if g.required
    }
    assert roles == {(5, "penanggung_jawab")}


def test_31_permission_follows_the_petugas_impact_analysis_and_the_catalog(sqlite_sop_env):
    """Issue 16: SOP 3.1's step 2 permission is needed when the petugas' signed impact
    analysis (stops_services, in the request) says the change stops services and the
    service catalog puts services on the targets; not from the inventory alone."""
    ctx = sqlite_sop_env.ctx()
    procedure = ctx.catalog.get("3.1")
    hit = impact.analyse(procedure, ctx.inventory, ["ctl1"])
    assert [s.name for s in hit.services] == ["portal"]

    def step2(params):
        return next(g for g in gates.requirements(procedure, hit, params) if g.step_number == 2)

    assert step2({"stops_services": True}).required
    assert step2({}).required  # no analysis given: assume it stops them
    said_no = step2({"stops_services": False})
    assert not said_no.required and "stops_services=false" in said_no.why
    none = impact.analyse(procedure, ctx.inventory, [])
    assert not next(
        g
        for g in gates.requirements(procedure, none, {"stops_services": True})
        if g.step_number == 2
    ).required
