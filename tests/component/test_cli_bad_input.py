"""Bad input: one clear line naming what and what is allowed, exit 2, nothing written."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from sop_runner.store.models import AuditEntry, Request


def _counts(env) -> tuple[int, int]:
    with env.ctx().session() as session:
        return (
            session.scalar(select(func.count()).select_from(AuditEntry)) or 0,
            session.scalar(select(func.count()).select_from(Request)) or 0,
        )


def _assert_clean_refusal(result, *words: str) -> None:
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    for word in words:
        assert word in lines[0]


REQ = [
    "request",
    "6.1",
    "--target",
    "ctl1",
    "--param",
    "cleanup_path=/tmp/x",
    "--param",
    "max_age_days=3",
    "--reason",
    "uji",
]


@pytest.mark.parametrize(
    ("args", "operator", "words"),
    [
        (["show", "9.9"], None, ("9.9", "yang dikenal: 1.1")),
        (["request", "9.9", "--target", "ctl1", "--reason", "x"], "budi", ("9.9",)),
        (
            [
                "request",
                "6.1",
                "--target",
                "nohost",
                "--reason",
                "x",
                "--param",
                "cleanup_path=/x",
                "--param",
                "max_age_days=1",
            ],
            "budi",
            ("nohost", "host yang dikenal: ctl1, ctl2"),
        ),
        ([*REQ[:-4], "--param", "oops", "--reason", "x"], "budi", ("oops", "KEY=VALUE")),
        # Issue 16: a monitoring request needs no repair parameters, but not half of them;
        # a repair request follows a monitoring request that exists.
        ([*REQ[:6], "--reason", "x"], "budi", ("--param max_age_days", "cleanup_path")),
        ([*REQ, "--param", "follows=99"], "budi", ("--param follows", "99")),
        (REQ, "nobody", ("'nobody'", "operator yang dikenal")),
        (REQ, None, ("operator", "--as")),
        (["show", "6.1", "--lang", "fr"], None, ("--lang", "'id'", "'en'")),
        (["approve", "1", "--expires", "soon"], "sari", ("--expires", "30m")),
    ],
)
def test_bad_input_is_refused_cleanly(sop_env, args, operator, words):
    before = _counts(sop_env)
    _assert_clean_refusal(sop_env.sop(*args, operator=operator), *words)
    assert _counts(sop_env) == before


def test_unknown_step_in_confirmation_is_refused(sop_env):
    assert sop_env.sop(*REQ, operator="budi").returncode == 0
    before = _counts(sop_env)
    _assert_clean_refusal(
        sop_env.sop("run", "1", "--confirm", "99=x", operator="budi"), "langkah 99", "langkah 1–6"
    )
    _assert_clean_refusal(sop_env.sop("run", "1", "--confirm", "2", operator="budi"), "STEP=NOTE")
    assert _counts(sop_env) == before


def test_missing_key_is_refused(sop_env):
    assert sop_env.sop(*REQ, operator="budi").returncode == 0
    (sop_env.root / "keys" / "sari.ed25519").unlink()
    before = _counts(sop_env)
    _assert_clean_refusal(sop_env.sop("approve", "1", operator="sari"), "sari", "keys init")
    assert _counts(sop_env) == before


def test_unreachable_database_is_refused(sop_env, monkeypatch):
    monkeypatch.setenv("SOP_DB_URL", "postgresql://sop:secret@127.0.0.1:1/sop")
    result = sop_env.sop(*REQ, operator="budi")
    _assert_clean_refusal(result, "127.0.0.1:1", "SOP_DB_URL")
    assert "secret" not in result.stderr


def test_an_operators_file_of_ones_own_is_refused(sop_env, monkeypatch):
    (sop_env.root / "operators.yml").write_text("operators:\n  - name: x\n    roles: [raja]\n")
    monkeypatch.setenv("SOP_OPERATORS_FILE", str(sop_env.root / "operators.yml"))
    result = sop_env.sop(*REQ, operator="budi")
    _assert_clean_refusal(result, "SOP_OPERATORS_FILE", "registri bertanda tangan")


def test_an_operator_not_in_the_registry_is_refused(sop_env):
    _assert_clean_refusal(sop_env.sop(*REQ, operator="x"), "'x' tidak ada di registri versi 1")


REPOSITORY = "--param", "repository=/var/tmp/sop-restic"


# The refusal comes before the store is opened for writing: one backend shows it.
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize(
    ("args", "words"),
    [
        # Accepted before the parameter schema, failing only later in the module.
        (["5.1", "--param", "devices=[/dev/loop*]", "--param", "wipe_method=clear",
          "--param", "destination=gudang"],
         ("--param devices", "'/dev/loop*' memuat wildcard", "di bawah /dev/")),
        (["7.5", *REPOSITORY, "--param", "max_age_days=0"],
         ("--param max_age_days", "0 di bawah 365", "yang diizinkan: bilangan bulat dari 365")),
        (["7.5", *REPOSITORY, "--param", "max_age_days=abc"],
         ("--param max_age_days", "'abc' bukan bilangan bulat")),
        (["5.1", "--param", "devices=[/dev/../etc/shadow]", "--param", "wipe_method=clear",
          "--param", "destination=gudang"], ("--param devices", "'..'")),
        # A name the procedure does not take would override a playbook variable.
        (["7.5", *REPOSITORY, "--param", "retention_today=2030-01-01"],
         ("--param retention_today", "tidak mempunyai parameter itu",
          "yang diizinkan: database_max_age_days, max_age_days, repository")),
        (["6.1", "--param", "cleanup_path=/", "--param", "max_age_days=30"],
         ("--param cleanup_path", "'/' tidak pernah diizinkan")),
    ],
)  # fmt: skip
def test_bad_parameters_are_refused_before_anything_is_written(sop_env, args, words):
    before = _counts(sop_env)
    result = sop_env.sop("request", *args, "--target", "ctl1", "--reason", "x", operator="budi")
    _assert_clean_refusal(result, *words)
    assert _counts(sop_env) == before


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_request_fixes_typed_values_and_defaults(sop_env):
    made = sop_env.sop(
        "request", "7.5", "--target", "ctl1", *REPOSITORY, "--reason", "x", operator="budi"
    )
    assert made.returncode == 0, made.stderr
    with sop_env.ctx().session() as session:
        request = session.scalars(select(Request)).one()
        assert request.params == {"repository": "/var/tmp/sop-restic", "max_age_days": 365}
