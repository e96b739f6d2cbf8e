"""Procedure features: one package per procedure family.

Each exports a ``FEATURE`` (``sop_runner.features.Feature``) and is named in the
``sop_pusatdata.features`` entry points of ``pyproject.toml``; the core finds
them there and never imports this package.
"""
