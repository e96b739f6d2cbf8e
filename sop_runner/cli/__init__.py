"""The `sop` command line (thin: each command calls a core module)."""

from sop_runner.cli.app import app, main

__all__ = ["app", "main"]
