"""What the reader noticed and what the analysis doubts reach the page: a header that halves the
sampling rate, and corrupt values set missing, each shown as a warning (record text escaped)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from tests.dashboard.test_dashboard import _app, _cut, _files, _upload


def _warnings(at) -> list[str]:
    """The warnings as the reader sees them: record text is Markdown-escaped (backslashes dropped here)."""
    return [w.value.replace("\\", "") for w in at.warning]


def test_a_halved_sampling_rate_is_flagged_on_the_page(monkeypatch, mitdb_dir, tmp_path):
    stem = _cut(mitdb_dir, "100", tmp_path, "half")
    hea = stem.with_suffix(".hea")
    hea.write_text(hea.read_text().replace(" 360 ", " 180 ", 1))  # the header states half the true rate
    at = _upload(_app(monkeypatch), _files(stem, ("hea", "dat")))
    assert any("may be too low" in w and "180 Hz" in w for w in _warnings(at)), _warnings(at)


def test_corrupt_values_set_missing_are_said_on_the_page(monkeypatch, mitdb_dir, tmp_path):
    stem = _cut(mitdb_dir, "100", tmp_path, "c100")
    import wfdb

    x = wfdb.rdrecord(str(stem)).p_signal[:, 0]
    x[::1000] = 1e308
    csv = pd.DataFrame({"time": np.arange(len(x)) / 360.0, "MLII": x}).to_csv(index=False).encode()
    at = _upload(_app(monkeypatch), [("big*values.csv", csv, "text/csv")])
    assert not at.error, [e.value for e in at.error]
    shown = [w for w in _warnings(at) if "set missing (artefact)" in w]
    assert shown and "more than 50 mV" in shown[0], _warnings(at)
