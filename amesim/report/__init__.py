"""The politicians' report: ``report.html`` (self-contained, offline), ``results.xlsx`` and
``figures/*.html`` from a run or comparison folder.

Entry point: :func:`write_report`. Figure builders (DataFrames -> plotly figures) are in
:mod:`amesim.report.figures`, labels (Swedish, English) in :mod:`amesim.report.labels`.
"""

from .html import write_report

__all__ = ["write_report"]
