"""ecg-lstm monitoring dashboard.

    .venv/bin/python -m streamlit run dashboard/app.py --server.address 127.0.0.1 --server.port 8501

The page lays out what the library computes (``ecg_lstm.analyze``); it holds
no signal processing of its own. Sidebar: choose a record. Main: overview,
trace, then tabs for events, rhythm, the reference comparison, live replay,
the model, export and the study (status, sign-off, audit trail). A second page,
Studies, lists every study kept on this computer (``dashboard.worklist``).

The first view (title, the sidebar's record choice, the welcome text) is drawn before the
library, the sections and the models are imported: they take seconds to load, and load in
the background from then on (``dashboard.loading.warm_up``).
"""
from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # `streamlit run dashboard/app.py` puts only dashboard/ on the path
    sys.path.insert(0, str(ROOT))

import streamlit as st  # noqa: E402

from dashboard import loading  # noqa: E402
from dashboard.markdown_text import md_escape  # noqa: E402
from dashboard.sections import source  # noqa: E402

CSS = """
<style>
.ecg-alarm{background:#c62828;color:#fff;font-weight:700;padding:.6rem 1rem;border-radius:.4rem;
           letter-spacing:.05em}
.ecg-ok{background:#e8f5e9;color:#2e7d32;padding:.6rem 1rem;border-radius:.4rem}
.ecg-silenced{background:#fff3e0;color:#7a2e00;border:2px solid #c62828;padding:.6rem 1rem;border-radius:.4rem}
@media (prefers-reduced-motion: reduce){*{animation:none!important;transition:none!important}}
.st-key-preload_chart{display:none}
.st-key-trace_center_s [data-testid="stSliderThumbValue"],.st-key-trace_center_s [data-testid="stSliderTickBar"]{
  visibility:hidden}
div[data-testid="stMetricValue"]{font-size:1.3rem}
</style>
"""


def tabs() -> dict:
    """The record's tabs: title -> render(analysis). Imported with the first record, not on the first view."""
    from dashboard.sections import events, explain, export, live, model, reference, review, rhythm, study

    return {
        "Events": events.render,
        "Review": review.render,
        "Rhythm & HRV": rhythm.render,
        "Reference comparison": reference.render,
        "Live monitor": live.render,
        "Model": lambda analysis: model.render(),
        "Export": export.render,
        "Why this label": explain.render,
        "Study": study.render,
    }


def welcome(kept) -> None:
    """The page before a record is opened. The text first, then, while the analysis code and the
    models load in the background, what needs the library: the sidebar's sentence on what is kept
    (``kept``), the class legend and the hidden chart."""
    st.markdown(
        "Choose a record in the sidebar: **upload** WFDB files (.hea + .dat, with .atr for a comparison "
        "with reference annotations, or one .zip of them), an EDF or a CSV file; **open** one of the local "
        "records; or **download** one from PhysioNet.\n\n"
        "Each beat is detected and labelled (N normal, S supraventricular ectopic, V ventricular ectopic, "
        "F fusion, Q unclassifiable); the page then shows the vitals, the trace with every beat marked, "
        "the arrhythmia events (a click shows each on the trace), rhythm plots, the comparison with the "
        "reference annotations, a live replay, and the exports.")
    note = st.empty()
    loading.warm_up(note)
    source.what_is_kept(kept)
    legend()
    loading.wait_warm_up(note)


def legend() -> None:
    """The class legend as a table, and an empty, hidden chart: the browser loads and compiles
    its table and charting code now, while the user picks a record, not after the upload."""
    import pandas as pd

    from dashboard import trace

    st.dataframe(pd.DataFrame({"class": list("NSVFQ"), "meaning": [trace.CLASS_NAMES[c] for c in "NSVFQ"]}),
                 hide_index=True, width=420, key="class_legend")
    st.plotly_chart({"data": [{"type": "scatter", "x": [0], "y": [0]}]}, key="preload_chart",
                    config={"staticPlot": True})


def main() -> None:
    st.set_page_config(page_title="ecg-lstm monitor", page_icon=":material/monitor_heart:", layout="wide")
    st.markdown(CSS, unsafe_allow_html=True)
    record_page = st.Page(record, title="Record", icon=":material/monitor_heart:", default=True)
    st.session_state["record_page"] = record_page  # the Studies page opens a study there
    st.navigation([record_page, st.Page("studies_page.py", title="Studies", icon=":material/list_alt:",
                                        url_path="studies")], position="top").run()


def record() -> None:
    """The Record page: choose a record in the sidebar; the analysis and its review in the main area."""
    st.title("ECG monitor", anchor=False)
    kept = source.render()
    if st.session_state.get("analysis") is None:  # no record opened yet
        welcome(kept)
        return
    from dashboard import review_session, studies_session
    from dashboard.sections import overview

    source.what_is_kept(kept)
    review_session.sync()  # the record's corrections (this session's, or a .cor opened with it) applied
    analysis = st.session_state["analysis"]
    # A file name and a study label: record text. Who changed the study last, when another person did.
    st.caption(md_escape(" · ".join(x for x in (st.session_state.get("source_label", ""),
                                                 studies_session.study_line()) if x)))
    overview.render(analysis)
    record_view(analysis)


@st.fragment
def record_view(analysis) -> None:
    """Trace and tabs. A fragment: moving the window, selecting an event or opening a tab
    reruns only this part, not the sidebar and the overview (which stay as they are)."""
    from dashboard import studies_session
    from dashboard.sections import trace_view

    if studies_session.changed_elsewhere():  # another session changed this study: the whole page follows
        st.rerun(scope="app")
    trace_view.render(analysis)
    # Only the open tab runs (and is sent to the browser): the page stays light for long records.
    renders = tabs()
    for tab, render in zip(st.tabs(list(renders), key="main_tabs", on_change="rerun"), renders.values()):
        if tab.open:
            with tab:
                render(analysis)


main()
