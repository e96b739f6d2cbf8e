"""The core's refusals a petugas meets most are Indonesian by default, English on request
(issue 17): each keeps the field it names and what is allowed."""

from __future__ import annotations

from pathlib import Path

import pytest

from sop_runner import durations, i18n
from sop_runner.inventory import Inventory
from sop_runner.requests import parse_params
from tests.support.refusals import refusal

INVENTORY = Inventory(Path("/inv/hosts.yml"), frozenset({"srv1"}), {"servers": frozenset()}, ())


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        (
            "id",
            [
                "--by: 'soon' bukan durasi; yang diizinkan: bilangan bulat dengan satuan d, h, "
                "m, s, dari yang terbesar, mis. 90m, 1h30m, 2d, 45s",
                "--by: '0m' tidak di atas nol; yang diizinkan: durasi di atas nol",
                "--by: '9h' lebih lama dari yang diizinkan; yang diizinkan: paling lama 8h",
                "--param: 'Bad=1' bukan KEY=VALUE dengan KEY berupa huruf kecil, angka dan "
                "garis bawah",
                "--target: 'web' bukan host atau grup inventaris /inv/hosts.yml; "
                "host yang dikenal: srv1",
            ],
        ),
        (
            "en",
            [
                "--by: 'soon' is not a duration; allowed: " + durations.ALLOWED,
                "--by: '0m' is not above zero; allowed: a duration above zero",
                "--by: '9h' is longer than allowed; allowed: up to 8h",
                "--param: 'Bad=1' is not KEY=VALUE with KEY of lowercase letters, digits and "
                "underscores",
                "--target: 'web' is not a host or group of the inventory /inv/hosts.yml; "
                "known hosts: srv1",
            ],
        ),
    ],
)
def test_core_refusals_speak_the_language_and_keep_the_field(monkeypatch, lang, expected):
    monkeypatch.setattr(i18n, "_chosen", lang)
    eight_hours = durations.parse("8h", "--max")
    said = [
        refusal(durations.parse, "soon", "--by"),
        refusal(durations.parse, "0m", "--by"),
        refusal(durations.parse, "9h", "--by", maximum=eight_hours),
        refusal(parse_params, ["Bad=1"]),
        refusal(INVENTORY.resolve_targets, ["web"]),
    ]
    assert said == expected


def test_feature_refusals_speak_indonesian_and_keep_the_option(monkeypatch):
    from sop_runner.procedures.backup.schedules import check_schedule

    monkeypatch.setattr(i18n, "_chosen", "id")
    assert refusal(check_schedule, INVENTORY, "srv1", ["srv/data"], [], "cron") == (
        "--path: 'srv/data' relatif; yang diizinkan: path absolut"
    )
    assert refusal(check_schedule, INVENTORY, "srv1", [], [], "at") == (
        "--format: 'at' tidak diizinkan; yang diizinkan: cron atau systemd"
    )
    assert refusal(check_schedule, INVENTORY, "web", [], [], "cron") == (
        "--target: 'web' bukan host inventaris"
    )


def test_register_refusals_speak_indonesian(sqlite_sop_env, monkeypatch):
    from sop_runner.procedures.register import service

    monkeypatch.setattr(i18n, "_chosen", "id")
    with sqlite_sop_env.ctx().session() as session:
        said = refusal(service.add_device, session, "srv1", "budi", status="lost")
        assert said.startswith("--status: 'lost' tidak diizinkan; yang diizinkan: "), said
        said = refusal(service.change_status, session, "srv9", "dismantled", "budi")
        assert said == "register: 'srv9' tidak terdaftar; daftarkan dulu dengan `sop register add`"


def test_grant_refusals_speak_indonesian_and_keep_the_option(monkeypatch):
    from sop_runner.procedures.grants import policy

    monkeypatch.setattr(i18n, "_chosen", "id")
    assert refusal(policy.check_port, 443) == (
        "--port: 443 tidak pernah dibuka untuk akses remot (SOP 2.4); yang diizinkan: port "
        "1-65535 kecuali 21, 53, 80, 443, 3306"
    )
    assert refusal(policy.check_source, "0.0.0.0/0") == (
        "--source: '0.0.0.0/0' terlalu lebar; yang diizinkan: jaringan /16 atau lebih sempit, "
        "atau satu alamat"
    )
    assert refusal(policy.check_protocol, "icmp") == (
        "--protocol: 'icmp' tidak diizinkan; yang diizinkan: tcp, udp"
    )


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        (
            "id",
            [
                "--sheet: 'a5' tidak diizinkan; yang diizinkan: a4-65, tape-24",
                "--item: 'rail kit=x': jumlahnya harus bilangan bulat >= 1",
                "--a: 'srv1' tidak diizinkan; berikan DEVICE:INTERFACE, mis. srv1:eth0",
                "software: 'Bad' tidak diizinkan; yang diizinkan: huruf kecil, angka dan '-' "
                "(nama berkas software/NAME.yml di samping inventaris)",
            ],
        ),
        (
            "en",
            [
                "--sheet: 'a5' is not allowed; use a4-65, tape-24",
                "--item: 'rail kit=x': the quantity must be a whole number >= 1",
                "--a: 'srv1' is not allowed; give DEVICE:INTERFACE, e.g. srv1:eth0",
                "software: 'Bad' is not allowed; use lower-case letters, digits and '-' "
                "(the name of a file software/NAME.yml beside the inventory)",
            ],
        ),
    ],
)
def test_register_software_label_refusals_speak_the_language_and_keep_the_field(
    monkeypatch, lang, expected
):
    from sop_runner.procedures.labels.sheets import sheet
    from sop_runner.procedures.register import cli  # noqa: F401  (cli_network is part of it)
    from sop_runner.procedures.register.cli_network import end
    from sop_runner.procedures.register.receiving import packing_list
    from sop_runner.procedures.software.spec import spec_path

    monkeypatch.setattr(i18n, "_chosen", lang)
    said = [
        refusal(sheet, "a5"),
        refusal(packing_list, ["rail kit=x"]),
        refusal(end, "srv1", "--a"),
        refusal(spec_path, Path("/inv"), "Bad"),
    ]
    assert said == expected
