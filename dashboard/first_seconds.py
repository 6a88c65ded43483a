"""A long record's first seconds on ECG paper, in the main area, while the whole record is read and
analysed (a day takes tens of seconds): read on their own first (``ecg_lstm.io.head``), so that the
trace appears in a fraction of a second.
"""
from __future__ import annotations

import streamlit as st

#: Records at least this long (s) show their first seconds while they are analysed.
PREVIEW_FROM_S = 3600.0


def head(path: str, fs: float | None):
    """``head()`` for ``loading._analyse``: the first seconds of the record at ``path`` when it is long (its
    header, or a CSV's size, says so), read in milliseconds while the whole takes seconds; else None."""
    def head():
        from ecg_lstm.io.head import read_head, record_seconds

        return read_head(path, fs=fs) if (record_seconds(path, fs) or 0.0) >= PREVIEW_FROM_S else None

    return head


def show(record, long: bool = False):
    """The first 10 s of a long record (``long``, or lasting :data:`PREVIEW_FROM_S` or more) on ECG
    paper, in the main area, while the record is read and analysed (a 24 h record takes tens of
    seconds); the caller empties it. None for a short one."""
    if record.duration_s < PREVIEW_FROM_S and not long:
        return None
    import html

    from dashboard import trace
    from dashboard.markdown_text import md_escape

    idx = record.lead_index(None)
    slot = _main_area_placeholder()
    with slot.container():
        st.caption(f"{md_escape(record.name)}: the first seconds of lead {md_escape(record.lead_names[idx])} while "
                   "the record is analysed (progress in the sidebar); beats, events and vitals follow.")
        fig = trace.ecg_paper(record.signal[:, idx], record.fs, 0.0, min(10.0, record.duration_s),
                              lead_name=html.escape(record.lead_names[idx]), unit=html.escape(record.units[idx]))
        st.plotly_chart(trace.unchecked(fig), key="preview_chart", width="content",
                        config={"displayModeBar": False, "staticPlot": True})
    return slot


def _main_area_placeholder():
    """An ``st.empty()`` in the main area, although records are opened inside the sidebar.

    Streamlit has no public handle on the main area inside ``with st.sidebar``: its root
    element follows the innermost ``with`` block. So the block stack is left empty for the
    one call (Streamlit's own ``context_dg_stack``). The placeholder is made here, inside
    the cached function, so that a cache replay stays valid (a replay puts the emptied
    placeholder wherever the caller is, harmlessly). Should Streamlit rename its internals,
    the preview falls back to where the caller is: in the sidebar, still shown."""
    try:
        from streamlit.delta_generator_singletons import context_dg_stack

        token = context_dg_stack.set(context_dg_stack.get()[:1])
    except (ImportError, AttributeError, TypeError):
        return st.empty()
    try:
        return st.empty()
    finally:
        context_dg_stack.reset(token)
