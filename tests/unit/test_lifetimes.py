"""Lifetimes of approvals: bounded per procedure (catalog `approval_max`, at most 30 days,
lowered by the trust file), and never dated in the future."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sop_runner import gates
from sop_runner.catalog import load_catalog
from sop_runner.errors import SopError
from sop_runner.gates import longest_approval, problems_of, sign_approval
from sop_runner.requests import create_request
from sop_runner.trust.trustfile import parse_trust

CATALOG = load_catalog()
DAY = timedelta(days=1)


def _request(env):  # type: ignore[no-untyped-def]
    ctx = env.ctx()
    with ctx.session() as session:
        request = create_request(
            session,
            ctx.actor("budi"),
            "6.1",
            ["ctl1"],
            {"cleanup_path": "/var/tmp/app", "max_age_days": 30},
            "disk penuh",
        )
        session.expunge(request)
    return ctx, request


def test_every_gated_procedure_bounds_its_approvals_by_its_steps():
    # Long enough for the document's standard times from the first gate to the end (4.2's
    # and 6.1's "1-3 Hari") and a day to begin; never more than 30 days.
    for procedure in CATALOG.procedures:
        if not procedure.gates:
            continue
        first = min(step.number for step in procedure.gates)
        work = sum(
            s.standard_time.max_seconds
            for s in procedure.steps
            if s.number >= first and s.standard_time is not None
        )
        assert procedure.approval_max >= timedelta(seconds=work) + DAY, procedure.id
        assert procedure.approval_max <= timedelta(days=30), procedure.id
    assert CATALOG.get("6.1").approval_max >= timedelta(days=4)
    assert CATALOG.get("4.2").approval_max >= timedelta(days=4)


def test_the_trust_file_lowers_the_bound_and_never_raises_it():
    repair = CATALOG.get("6.1")
    assert longest_approval(repair, None) == repair.approval_max
    assert longest_approval(repair, timedelta(hours=8)) == timedelta(hours=8)
    assert longest_approval(repair, timedelta(days=300)) == repair.approval_max


def test_an_approval_signed_in_the_future_is_invalid(sqlite_sop_env):
    ctx, request = _request(sqlite_sop_env)
    now = datetime.now(UTC)
    ahead = sign_approval(request, 5, "penanggung_jawab", ctx.actor("sari"), now=now + 365 * DAY)
    problems = problems_of(ahead, request, ctx.trusted, now)
    assert any("di masa depan" in p for p in problems), problems
    # A clock a minute or two fast is not an attack.
    close = sign_approval(
        request, 5, "penanggung_jawab", ctx.actor("sari"), now=now + timedelta(minutes=2)
    )
    assert problems_of(close, request, ctx.trusted, now) == []


def test_an_approval_longer_than_its_procedure_allows_is_invalid(sqlite_sop_env):
    ctx, request = _request(sqlite_sop_env)
    now = datetime.now(UTC)
    sari = ctx.actor("sari")
    too_long = sign_approval(request, 5, "penanggung_jawab", sari, expires_in=31 * DAY, now=now)
    problems = problems_of(too_long, request, ctx.trusted, now)
    assert any("lebih lama dari" in p and "6.1" in p for p in problems), problems
    fits = sign_approval(request, 5, "penanggung_jawab", sari, expires_in=3 * DAY, now=now)
    assert problems_of(fits, request, ctx.trusted, now) == []
    lowered = problems_of(fits, request, ctx.trusted, now, longest=timedelta(hours=8))
    assert any("lebih lama dari 8h" in p for p in lowered), lowered


def test_deciding_refuses_a_lifetime_beyond_the_bound():
    procedure = CATALOG.get("6.1")
    with pytest.raises(SopError, match=r"^--expires: .*yang diizinkan: paling lama 5d"):
        gates.lifetime("31d", procedure, None)
    for absurd in ("2900000d", "3650000d", "99999999999999999999999d"):
        with pytest.raises(SopError, match=r"^--expires: "):
            gates.lifetime(absurd, procedure, None)
    assert gates.lifetime("2d", procedure, None) == 2 * DAY


def _trust_text(extra: str) -> str:
    return (
        "version: 1\nroot: {threshold: 1, keys: [{id: ahmad, public_key: "
        + "A" * 43
        + "=}]}\nstore: sqlite:////var/lib/sop/sop.db\ninventory: /srv/inventory\n"
        "registry: /var/lib/sop/registry\n" + extra
    )


def test_the_trust_file_names_a_lower_bound_for_every_procedure(tmp_path):
    path = tmp_path / "trust.yml"
    assert parse_trust(_trust_text(""), path).approval_max is None
    assert parse_trust(_trust_text("approval_max: 8h\n"), path).approval_max == timedelta(hours=8)
    for wrong, words in (
        ("40d", "lebih lama dari yang diizinkan"),
        ("soon", "approval_max: 'soon'"),
    ):
        with pytest.raises(SopError, match=words):
            parse_trust(_trust_text(f"approval_max: {wrong}\n"), path)
