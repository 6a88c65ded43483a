"""Each dashboard test on a study store of its own: what one test reviews is not the study the
next one opens (the page keeps every record it opens as a study)."""
from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _own_study_store(monkeypatch, tmp_path):
    monkeypatch.setenv("ECG_STUDY_FILES", str(tmp_path / "own-studies"))
    monkeypatch.delenv("ECG_STUDY_DB", raising=False)
    try:
        from dashboard import review_session, studies_session
    except ImportError:  # streamlit missing: the tests that need it skip themselves
        yield
        return
    studies_session._open_store.clear()
    review_session.relabelled.clear()
    yield
    studies_session._open_store.clear()
