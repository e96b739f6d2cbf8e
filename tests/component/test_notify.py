"""The notifier: a notice reaches a real SMTP server, only the kinds a target takes, no
secret in the audit trail, and a dead mail server is a counted failure, not a crash."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from sqlalchemy import select

from sop_runner import i18n
from sop_runner.errors import SopError
from sop_runner.notify import Notice, send
from sop_runner.store.models import AuditEntry
from tests.support.smtp import SmtpSink, smtp_sink
from tests.support.sop import SopEnv


@pytest.fixture(autouse=True)
def _english(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests name what is refused in the messages' own words (English); that the
    default is Indonesian is tested in test_no_english_refusals.py."""
    monkeypatch.setattr(i18n, "_chosen", "en")


@pytest.fixture
def sink() -> SmtpSink:
    with smtp_sink() as running:
        yield running


def _site(env: SopEnv, notify: list[object]) -> None:
    folder = env.ctx().settings.inventory
    folder = folder if folder.is_dir() else folder.parent
    (folder / "site.yml").write_text(json.dumps({"notify": notify}))


def _notices(env: SopEnv) -> list[dict[str, object]]:
    with env.ctx().session() as session:
        rows = session.scalars(select(AuditEntry).order_by(AuditEntry.seq)).all()
        entries = [json.loads(row.content) for row in rows]
    return [e for e in entries if e["action"] == "notice.sent"]


def test_a_notice_arrives_by_mail_and_is_audited_without_its_url(
    sqlite_sop_env: SopEnv, sink: SmtpSink
) -> None:
    _site(sqlite_sop_env, [{"url": sink.url()}])

    delivery = send(
        sqlite_sop_env.ctx(),
        Notice("monitoring.card", "Suhu ruang server 29 °C", "Di atas 27 °C (ASHRAE).", "critical"),
    )

    assert (delivery.targets, delivery.sent, delivery.failed) == (1, 1, 0)
    (mail,) = sink.wait(1)
    assert mail["Subject"] == "Suhu ruang server 29 °C"
    assert "Di atas 27 °C" in mail.get_body().get_content()
    (entry,) = _notices(sqlite_sop_env)
    assert entry["data"] == {
        "title": "Suhu ruang server 29 °C",
        "severity": "critical",
        "targets": 1,
        "sent": 1,
        "failed": 0,
    }
    assert str(sink.port) not in json.dumps(entry)


def test_a_target_takes_only_the_kinds_it_names(sqlite_sop_env: SopEnv, sink: SmtpSink) -> None:
    _site(sqlite_sop_env, [{"url": sink.url(), "kinds": ["access.overdue"]}])

    skipped = send(sqlite_sop_env.ctx(), Notice("monitoring.incident", "Port terbuka", "srv1:8081"))
    taken = send(sqlite_sop_env.ctx(), Notice("access.overdue", "Tamu melewati 10 menit", "…"))

    assert (skipped.targets, taken.sent) == (0, 1)
    assert [m["Subject"] for m in sink.wait(1)] == ["Tamu melewati 10 menit"]


def test_a_secret_url_lives_in_a_private_file_and_never_in_the_trail(
    sqlite_sop_env: SopEnv, sink: SmtpSink, tmp_path: Path
) -> None:
    secret = tmp_path / "notify.url"
    secret.write_text(sink.url(to="rahasia-token@diskominfo.lab") + "\n")
    os.chmod(secret, 0o644)
    _site(sqlite_sop_env, [{"url_file": str(secret)}])

    with pytest.raises(SopError, match=r"notify\[0\]\.url_file: .* readable by others"):
        send(sqlite_sop_env.ctx(), Notice("backup.overdue", "Backup terlambat", "…"))

    os.chmod(secret, 0o600)
    assert send(sqlite_sop_env.ctx(), Notice("backup.overdue", "Backup terlambat", "…")).ok
    assert sink.wait(1)[0]["To"] == "rahasia-token@diskominfo.lab"
    assert "rahasia-token" not in json.dumps(_notices(sqlite_sop_env))


def test_a_dead_mail_server_is_a_counted_failure_not_a_crash(sqlite_sop_env: SopEnv) -> None:
    with smtp_sink() as gone:
        url = gone.url()
    _site(sqlite_sop_env, [{"url": url}])

    delivery = send(sqlite_sop_env.ctx(), Notice("access.overdue", "Vendor melewati 8 jam", "…"))

    assert (delivery.sent, delivery.failed, delivery.ok) == (0, 1, False)
    assert _notices(sqlite_sop_env)[-1]["data"]["failed"] == 1


@pytest.mark.parametrize(
    ("notify", "message"),
    [
        ("mailto://x", r"notify: must be a list"),
        ([{"url": "a://b", "url_file": "/x"}], r"notify\[0\]: give exactly one of url or url_file"),
        ([{"url": "no-scheme"}], r"notify\[0\]: not an apprise URL"),
        ([{"url": "a://b", "kinds": "x"}], r"notify\[0\]\.kinds: must be a list"),
        ([{"url_file": "/nonexistent/url"}], r"notify\[0\]\.url_file: /nonexistent/url not found"),
    ],
)
def test_a_malformed_notify_setting_names_its_field(
    sqlite_sop_env: SopEnv, notify: object, message: str
) -> None:
    _site(sqlite_sop_env, notify)  # type: ignore[arg-type]

    with pytest.raises(SopError, match=message):
        send(sqlite_sop_env.ctx(), Notice("access.overdue", "t", "b"))


def test_an_unknown_severity_is_refused(sqlite_sop_env: SopEnv) -> None:
    with pytest.raises(
        SopError, match=r"severity: 'loud' is not allowed; use info, warning, critical"
    ):
        send(sqlite_sop_env.ctx(), Notice("access.overdue", "t", "b", "loud"))
