"""The refusals of a request's parameter values (sop_runner/params.py) speak the person's
language (issue 17): Indonesian by default, English on request, the parameter's name and
the allowed values kept."""

from __future__ import annotations

import pytest

from sop_runner import i18n
from sop_runner.catalog import load_catalog
from sop_runner.errors import SopError
from sop_runner.params import validate

CATALOG = load_catalog()
REPO = "sftp:root@backup:/srv/restic/srv1"


def _refusal(procedure: str, params: dict[str, object]) -> str:
    with pytest.raises(SopError) as info:
        validate(CATALOG.get(procedure), params, hosts=("srv1", "backup"))
    return str(info.value)


@pytest.mark.parametrize(
    ("lang", "params", "expected"),
    [
        (
            "id",
            {"repository": REPO, "max_age_days": 0},
            "--param max_age_days: 0 di bawah 365; "
            "yang diizinkan: bilangan bulat dari 365 sampai 36500",
        ),
        (
            "en",
            {"repository": REPO, "max_age_days": 0},
            "--param max_age_days: 0 is below 365; allowed: a whole number from 365 to 36500",
        ),
        (
            "id",
            {"repository": "/srv/../etc"},
            "--param repository: '/srv/../etc' memuat '..'; yang diizinkan: repositori restic: "
            "path absolut, sftp:[USER@]HOST:PATH, rest:URL, s3:URL, b2:, azure:, gs:, swift: "
            "atau rclone: (tanpa spasi, tanda kutip atau '..')",
        ),
        (
            "id",
            {"repository": REPO, "nope": 1},
            "--param nope: prosedur 7.5 tidak mempunyai parameter itu; "
            "yang diizinkan: database_max_age_days, max_age_days, repository",
        ),
        (
            "id",
            {"repository": "{{ lookup('pipe', 'id') }}"},
            "--param repository: \"{{ lookup('pipe', 'id') }}\" memuat penanda templat "
            "({{, {% atau {#); nilai adalah data",
        ),
    ],
)
def test_a_parameter_refusal_speaks_the_persons_language(monkeypatch, lang, params, expected):
    monkeypatch.setattr(i18n, "_chosen", lang)
    message = _refusal("7.5", params)
    assert message.startswith(expected), message
