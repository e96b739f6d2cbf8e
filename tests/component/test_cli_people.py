"""The `sop` command for people (issue 17): one line on bad input (exit 2), never a traceback,
Indonesian by default, distinct exit codes, --version."""

from __future__ import annotations

import pytest

from tests.support.sop import ok

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)

REQUEST = (
    "request", "6.1", "--target", "ctl1", "--reason", "disk penuh",
    "--param", "cleanup_path=/var/tmp/sop-17", "--param", "max_age_days=30",
)  # fmt: skip
CONFIRM = ("--confirm", "2=analisis", "--confirm", "3=laporan", "--confirm", "4=rekomendasi")


def _one_line(result, *words: str) -> str:
    """Given a refused `sop` run, return its one stderr line; fail unless exit 2 and clean."""
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["lsit"], ("'lsit'", "list", "show", "status")),
        ([], ("list", "request", "--help")),
        (["request", "3.1"], ("request", "--target")),
        (["request"], ("PROCEDURE_ID",)),
        (["status", "abc"], ("status", "'abc'", "12")),
        (["status", "1", "2"], ("status", "2")),
        (["backup", "schedule"], ("backup schedule", "--target")),
        (["backup"], ("backup", "schedule", "overdue")),
        (["grant", "list", "--bogus"], ("--bogus", "--all")),
        (["grant", "extend", "x"], ("grant extend", "'x'")),
        (["audit", "show", "--last", "many"], ("--last", "'many'")),
        (["show", "3.1", "--lang"], ("--lang",)),
        (["approve", "1", "--expires", "1000000d"], ("--expires", "36500d")),
        (["grant", "extend", "1", "--by", "99999999d"], ("--by", "lebih lama dari yang diizinkan")),
        (["approve", "1", "--expires", "1.5h"], ("--expires", "1h30m")),
        (["status", "1", "--lang", "fr"], ("--lang", "'id'", "'en'")),
        (["--lang", "fr", "list"], ("--lang", "'id'", "'en'")),
    ],
)
def test_bad_input_is_one_line_and_exit_2(sop_env, args, words):
    _one_line(sop_env.sop(*args, operator="sari"), *words)


def test_the_lines_are_indonesian_by_default_and_english_on_request(sop_env, monkeypatch):
    line = _one_line(sop_env.sop("lsit"))
    assert line.startswith("sop: error: ") and "bukan perintah" in line
    english = _one_line(sop_env.sop("lsit", "--lang", "en"))
    assert "is not a command" in english
    monkeypatch.setenv("SOP_LANG", "en")
    assert "is not a command" in _one_line(sop_env.sop("lsit"))


def test_help_is_indonesian_by_default(sop_env):
    indonesian = ok(sop_env.sop("request", "--help")).stdout
    english = ok(sop_env.sop("request", "--help", "--lang", "en")).stdout
    assert "Buat permintaan" in indonesian and "alasan" in indonesian
    assert "Make a request" in english and "why the work is needed" in english


def test_version_is_printed(sop_env):
    from importlib.metadata import version

    assert ok(sop_env.sop("--version")).stdout.strip() == f"sop {version('sop-pusatdata')}"


def test_exit_codes_say_waiting_refused_and_done(sop_env):
    request_id = ok(sop_env.sop(*REQUEST, "--quiet", operator="budi")).stdout.strip()
    assert request_id.isdigit()
    # A human step with no confirmation: waiting for one (3).
    waiting = sop_env.sop("run", request_id, operator="budi")
    assert waiting.returncode == 3, waiting.stderr
    # Confirmed up to the gate: waiting for an approval (3).
    gate = sop_env.sop("run", request_id, *CONFIRM, operator="budi")
    assert gate.returncode == 3 and "sop approve" in gate.stderr, gate.stderr
    # Rejected: refused by the gate (4).
    ok(sop_env.sop("reject", request_id, "--reason", "tidak perlu", operator="sari"))
    refused = sop_env.sop("run", request_id, operator="budi")
    assert refused.returncode == 4, refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1


def test_sop_lang_chooses_the_language_of_status_and_the_feature_reports(
    sop_env, monkeypatch, tmp_path
):
    ok(sop_env.sop(*REQUEST, operator="budi"))
    assert "menunggu: persetujuan" in ok(sop_env.sop("status", "1")).stdout
    dismantle = ("request", "5.1", "--target", "ctl1", "--reason", "x", "--param",
                 "devices=[/dev/loop7]", "--param", "wipe_method=clear", "--param",
                 "destination=gudang")  # fmt: skip
    upgrade = ("request", "4.1", "--target", "ctl1", "--reason", "x", "--param",
               "change=RAM 16 GB", "--param", "expected_spec=[memory_mb >= 1]")  # fmt: skip
    assert ok(sop_env.sop(*dismantle, "-q", operator="budi")).stdout == "2\n"
    assert ok(sop_env.sop(*upgrade, "-q", operator="budi")).stdout == "3\n"
    assert "waiting for: an approval" in ok(sop_env.sop("--lang", "en", "status", "1")).stdout
    monkeypatch.setenv("SOP_LANG", "en")
    shown = ok(sop_env.sop("status", "1")).stdout
    assert "waiting for: an approval by a Person in charge" in shown, shown
    for args in (("dismantle", "report", "2"), ("upgrade", "report", "3")):
        paths = ok(sop_env.sop(*args, "--out", str(tmp_path))).stdout.split()
        assert paths and all(p.rsplit(".", 1)[0].endswith("-en") for p in paths), paths


def test_shell_completion_is_on(sop_env, monkeypatch):
    monkeypatch.setenv("_SOP_COMPLETE", "complete_bash")
    monkeypatch.setenv("COMP_WORDS", "sop requ")
    monkeypatch.setenv("COMP_CWORD", "1")
    completed = sop_env.sop()
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.split() == ["request", "requests"]
