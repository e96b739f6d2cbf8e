"""Reports: the companion documents, rendered from the records by templates."""

from sop_runner.reports.official import write_reports

__all__ = ["write_reports"]
