"""Requests (work orders): procedure, targets and parameters, fixed by a hash."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, date, datetime
from typing import Any

import yaml
from sqlalchemy.orm import Session

from sop_runner import audit, yamlio
from sop_runner.errors import SopError
from sop_runner.store.models import Request

_PARAM_KEY = re.compile(r"^[a-z_][a-z0-9_]*$")


def parse_params(pairs: list[str]) -> dict[str, Any]:
    """Given KEY=VALUE strings, return the parameters.

    VALUE is read as a YAML scalar or flow list (``paths=[/etc,/srv]``).
    Raise SopError naming the malformed pair.
    """
    params: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or not _PARAM_KEY.match(key):
            raise SopError(
                f"--param: {pair!r} is not KEY=VALUE with KEY of lowercase letters, "
                "digits and underscores"
            )
        if key.startswith("sop_"):
            raise SopError(f"--param: {key!r}: names starting with 'sop_' are reserved")
        try:
            params[key] = parse_value(raw)
        except SopError as error:
            raise SopError(f"--param: {key}: {error}") from None
    return params


def parse_value(raw: str) -> Any:
    """Given a parameter's text, return its value (YAML scalar or flat list).

    Raise SopError if it is a mapping, a nested list or not YAML.
    """
    try:
        value = yamlio.load(raw) if raw else ""
    except yaml.YAMLError:
        raise SopError(f"value {raw!r} is not a scalar or [list]") from None
    if isinstance(value, dict) or (
        isinstance(value, list) and any(isinstance(v, dict | list) for v in value)
    ):
        raise SopError(f"value {raw!r}: a scalar or a flat [list] is allowed")
    if isinstance(value, datetime | date):
        value = value.isoformat()
    return value


def request_hash(request: Request) -> str:
    """Given a request, return the SHA-256 over its canonical content."""
    return hashlib.sha256(
        audit.canonical(
            {
                "id": request.id,
                "procedure": request.procedure_id,
                "targets": sorted(request.targets),
                "params": request.params,
                "reason": request.reason,
                "requested_by": request.requested_by,
                "created_at": request.created_at,
            }
        ).encode()
    ).hexdigest()


def create_request(
    session: Session,
    procedure_id: str,
    targets: list[str],
    params: dict[str, Any],
    reason: str,
    operator: str,
) -> Request:
    """Given validated procedure, targets and parameters, store a request."""
    if not reason.strip():
        raise SopError("--reason: required, say why the work is needed")
    request = Request(
        procedure_id=procedure_id,
        targets=sorted(targets),
        params=params,
        reason=reason,
        requested_by=operator,
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        status="open",
    )
    session.add(request)
    session.flush()
    audit.append(
        session,
        operator,
        "request.created",
        f"request/{request.id}",
        {
            "procedure": procedure_id,
            "targets": request.targets,
            "params": params,
            "hash": request_hash(request),
        },
    )
    return request


def get_request(session: Session, request_id: int) -> Request:
    """Given an id, return the request; raise SopError if there is none."""
    request = session.get(Request, request_id)
    if request is None:
        raise SopError(f"request: no request with id {request_id}")
    return request
