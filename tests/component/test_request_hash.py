"""A request fixes its parameters and targets by hash, on both store backends."""

from __future__ import annotations

from sop_runner.requests import create_request, request_hash


def test_request_hash_changes_with_any_field(sop_env):
    ctx = sop_env.ctx()
    budi = ctx.actor("budi")
    with ctx.session() as session:
        req = create_request(session, budi, "6.1", ["ctl1"], {"a": 1}, "why")
        first = request_hash(req)
        req.params = {"a": 2}
        assert request_hash(req) != first
        req.params = {"a": 1}
        assert request_hash(req) == first
        req.targets = ["ctl1", "ctl2"]
        assert request_hash(req) != first
