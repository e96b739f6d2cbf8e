"""The one store of requests, approvals, runs, companion logs and the audit trail."""

from sop_runner.store.db import engine_for, session_scope

__all__ = ["engine_for", "session_scope"]
