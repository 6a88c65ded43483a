"""Batch analysis of an archive on Ray: ``python -m ecg_lstm batch SOURCE... --out DIR``.

- :mod:`.sources`: folders, list files and PhysioNet databases -> record tasks;
- :mod:`.worker`: one record through ``analyze_record``, models loaded once (the Ray actor's body);
- :mod:`.runner`: Ray start-up, scheduling, progress and resume;
- :mod:`.results`: the Parquet archive (beats/, records.parquet, events.parquet);
- :mod:`.report`: the HTML summary of an archive (``make batch-report``);
- :mod:`.reaper`: the local Ray's processes end with the driver, even a killed one.

Ray is optional (``make setup-scale``); everything but the runner works without it.
Names are imported on first use, so that ``python -m ecg_lstm analyze`` (whose parser
lists ``batch``) does not pay for pyarrow or Ray.
"""

import lazy_loader

# Names load on first use (scientific-python's lazy_loader), so importing the package is cheap.
__getattr__, __dir__, __all__ = lazy_loader.attach(__name__, submod_attrs={
    "worker": ["AnalysisOptions"],
    "sources": ["RecordTask", "find_records"],
    "results": ["read_beats"],
    "runner": ["BatchSummary", "run_batch"],
})
