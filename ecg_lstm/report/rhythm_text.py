"""The rhythm in words for the clinical summary: :mod:`ecg_lstm.findings.rhythm_statement`'s, which
the dashboard's overview states too (one wording on the page and on paper)."""
from __future__ import annotations

from ..findings.rhythm_statement import THROUGHOUT_PCT, af_figures, rhythm_statements

__all__ = ["THROUGHOUT_PCT", "af_figures", "rhythm_statements"]
