"""Batch analysis of an archive on Ray: ``python -m ecg_lstm batch SOURCE... --out DIR``.

- :mod:`.sources`: folders, list files and PhysioNet databases -> record tasks;
- :mod:`.worker`: one record through ``analyze_record``, models loaded once (the Ray actor's body);
- :mod:`.runner`: Ray start-up, scheduling, progress and resume;
- :mod:`.results`: the Parquet archive (beats/, records.parquet, events.parquet);
- :mod:`.report`: the HTML summary of an archive (``make batch-report``).

Ray is optional (``make setup-scale``); everything but the runner works without it.
Names are imported on first use, so that ``python -m ecg_lstm analyze`` (whose parser
lists ``batch``) does not pay for pyarrow or Ray.
"""
from __future__ import annotations

import importlib

_NAMES = {"AnalysisOptions": ".worker", "RecordTask": ".sources", "find_records": ".sources",
          "read_beats": ".results", "run_batch": ".runner", "BatchSummary": ".runner"}
__all__ = sorted(_NAMES)


def __getattr__(name: str):
    if name in _NAMES:
        return getattr(importlib.import_module(_NAMES[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
