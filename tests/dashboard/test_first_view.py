"""The page's first view is drawn before anything heavy is imported.

The first run of dashboard/app.py, in a fresh interpreter, draws the title and the sidebar's record
choice without the library (scipy, pandas) or torch; torch comes only with the background warm-up
(``dashboard.loading.warm_up``). How fast the first page is: ``bench/bench_dashboard.py --only first-page``.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("streamlit")

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "dashboard" / "app.py"
#: Seconds each to import on a busy machine: not before the first view is on screen.
HEAVY = ("ecg_lstm", "scipy", "pandas", "torch")

# Run in a fresh interpreter: this one has long imported the library for the other tests.
PROBE = """
import json, sys
from streamlit.testing.v1 import AppTest
from dashboard import loading

first_view, warm_up = [], loading.warm_up

def at_first_view(note=None):
    first_view.extend(sys.modules)  # app.py starts the warm-up once the first view is drawn
    warm_up(note)

loading.warm_up = at_first_view
loading._warm = lambda: None  # no background loading: what is imported then is the page's own doing
at = AppTest.from_file(sys.argv[1], default_timeout=120).run()
print(json.dumps({"exceptions": [e.value for e in at.exception], "titles": [t.value for t in at.title],
                  "uploaders": len(at.sidebar.file_uploader), "first_view": first_view, "after": list(sys.modules)}))
"""


@pytest.fixture(scope="module")
def first_run(tmp_path_factory) -> dict:
    """What the first run of the page drew and imported, from a fresh interpreter."""
    tmp = tmp_path_factory.mktemp("first-view")
    (tmp / "records").mkdir()
    (tmp / "records" / "100.hea").write_text("100 2 360 650000\n")  # listed, never read
    env = {**os.environ, "ECG_DATA_DIR": str(tmp / "records"), "ECG_STUDY_FILES": str(tmp / "studies")}
    env.pop("ECG_STUDY_DB", None)
    out = subprocess.run([sys.executable, "-c", PROBE, str(APP)], cwd=ROOT, env=env, capture_output=True,
                         text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def _top(modules) -> set[str]:
    return {m.split(".")[0] for m in modules}


def test_first_view_is_drawn_without_the_library(first_run):
    assert first_run["exceptions"] == []
    assert first_run["titles"] == ["ECG monitor"] and first_run["uploaders"] == 1
    assert first_run["first_view"], "the page no longer starts the warm-up"
    drawn_with = _top(first_run["first_view"]) & set(HEAVY)
    assert not drawn_with, f"imported before the first view was drawn: {sorted(drawn_with)}"


def test_torch_loads_only_in_the_background(first_run):
    assert "torch" not in _top(first_run["after"]), "the first run imports torch, not the warm-up"


def test_what_the_first_view_knows_of_the_library_is_the_librarys():
    """The sidebar lists local records and finds the checkout without importing the library:
    its own copies of the reader's file types and of the checkout's path."""
    from dashboard import loading
    from ecg_lstm.io.read import FILE_SUFFIXES
    from ecg_lstm.paths import ROOT as LIBRARY_ROOT

    assert loading.FILE_SUFFIXES == FILE_SUFFIXES
    assert loading.ROOT == LIBRARY_ROOT
