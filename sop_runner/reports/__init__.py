"""Reports: the companion documents, rendered from the records by templates."""

from sop_runner.reports.render import write_reports

__all__ = ["write_reports"]
