"""Export: beats CSV, a WFDB annotation file and the one-file HTML report."""
from __future__ import annotations

import tempfile
from pathlib import Path

import streamlit as st


EXTENSION = "lstm"


def beats_csv(analysis) -> bytes:
    """The beats table as CSV (same columns as the command line writes)."""
    return analysis.beats.to_csv(index=False, float_format="%.6g").encode()


def annotation_bytes(analysis, extension: str = EXTENSION) -> bytes:
    """A WFDB annotation file of the result, written in a temporary folder removed afterwards."""
    from ecg_lstm.analyze import write_annotations

    with tempfile.TemporaryDirectory(prefix="ecg-") as tmp:
        return Path(write_annotations(analysis, tmp, extension)).read_bytes()


def report_html(analysis) -> bytes:
    from ecg_lstm.report import html_report

    return html_report(analysis).encode("utf-8")


def render(analysis) -> None:
    name = analysis.record.name
    c = st.columns(3)
    c[0].download_button("Beats (CSV)", data=lambda: beats_csv(analysis), file_name=f"{name}.csv",
                         mime="text/csv", on_click="ignore", icon=":material/table:", key="dl_csv",
                         width="stretch")
    c[1].download_button(f"Annotations (WFDB .{EXTENSION})", data=lambda: annotation_bytes(analysis),
                         file_name=f"{name}.{EXTENSION}", mime="application/octet-stream", on_click="ignore",
                         icon=":material/label:", key="dl_ann", width="stretch")
    c[2].download_button("Report (HTML)", data=lambda: report_html(analysis), file_name=f"{name}_report.html",
                         mime="text/html", on_click="ignore", icon=":material/description:", key="dl_html",
                         width="stretch")
    st.caption(f"The CSV has one row per beat: sample, time_s, label, confidence and the class probabilities. "
               f"The annotation file opens with `wfdb.rdann('{name}', '{EXTENSION}')` next to the record. "
               "The report is one HTML file with the summary, vitals, events and an ECG strip per event.")
