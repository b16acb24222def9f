"""Writing results to folders and summarising them on screen."""

from procure.report.write import write_study

__all__ = ["write_study"]
