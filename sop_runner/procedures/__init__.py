"""Procedure features: one package per procedure family.

Each exports a ``FEATURE`` (``sop_runner.features.Feature``, built in its
``feature`` module and imported on first use) and a light ``MANIFEST`` (its
commands and start-up hooks), named in the ``sop_pusatdata.features`` and
``sop_pusatdata.manifests`` entry points of ``pyproject.toml``; the core finds
them there and never imports this package by name.
"""
