"""What an analysis looks like on paper and on screen: what the report says (:mod:`.content`:
fields, times; :mod:`.summary`: the clinical summary; :mod:`.strips`: which ECG strips), laid out
as HTML (:mod:`.document`) or PDF (:mod:`.pdf`); the arrays its figures and the dashboard plot
(:mod:`.figures`); the model card's figures (:mod:`.model_card`).

    from ecg_lstm.report import html_report, pdf_report
"""
from .content import PEOPLE_FIELDS, check_fields, parse_date, people_from_file, plain_field
from .document import html_report
from .pdf import pdf_report
from .summary import clinical_summary, hr_extremes

__all__ = ["html_report", "pdf_report", "PEOPLE_FIELDS", "people_from_file", "plain_field", "check_fields",
           "parse_date", "clinical_summary", "hr_extremes"]
