"""What an analysis looks like on paper and on screen: the HTML / PDF report
(:mod:`.document`) and the arrays its figures and the dashboard's plot (:mod:`.figures`).

    from ecg_lstm.report import html_report, pdf_report
"""
from .document import html_report, pdf_report

__all__ = ["html_report", "pdf_report"]
