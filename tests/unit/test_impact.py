"""Services and impact decide which gates a request needs (catalog and inventory only:
the store is never opened, so one SQLite installation serves)."""

from __future__ import annotations

from sop_runner import gates, impact


def test_critical_service_adds_pimpinan_gate_and_circular(sqlite_sop_env):
    ctx = sqlite_sop_env.ctx()
    procedure = ctx.catalog.get("6.1")
    hit = impact.analyse(procedure, ctx.inventory, ["ctl2"])
    assert [s.name for s in hit.services] == ["simpeg"]
    assert hit.circular_required
    # A request that carries the repair (step 5): its gate, and the Pimpinan's beside it.
    repair = {"follows": 1, "cleanup_path": "/var/tmp/app", "max_age_days": 30}
    needed = gates.requirements(procedure, hit, repair)
    roles = {(g.step_number, g.role) for g in needed if g.required}
    assert (5, "pimpinan") in roles and (5, "penanggung_jawab") in roles
    # A monitoring request (issue 16): no repair in it, so no gate at all.
    assert not [g for g in gates.requirements(procedure, hit, {}) if g.required]


def test_normal_service_needs_no_circular(sqlite_sop_env):
    ctx = sqlite_sop_env.ctx()
    procedure = ctx.catalog.get("6.1")
    hit = impact.analyse(procedure, ctx.inventory, ["ctl1"])
    assert [s.name for s in hit.services] == ["portal"]
    assert not hit.circular_required
    assert [g.role for g in gates.requirements(procedure, hit)] == ["penanggung_jawab"]
    assert hit.outage_max_seconds > 0


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
