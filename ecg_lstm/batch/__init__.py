"""Batch analysis of an archive on Ray: ``python -m ecg_lstm batch SOURCE... --out DIR``.

- :mod:`.sources`: folders, list files and PhysioNet databases -> record tasks;
- :mod:`.worker`: one record through ``analyze_record``, models loaded once (the Ray actor's body);
- :mod:`.runner`: Ray start-up, scheduling, progress and resume;
- :mod:`.results`: the Parquet archive (beats/, records.parquet, events.parquet);
- :mod:`.report`: the HTML summary of an archive (``make batch-report``).

Ray is optional (``make setup-scale``); everything but the runner works without it.
"""
from .results import read_beats
from .sources import RecordTask, find_records
from .worker import AnalysisOptions

__all__ = ["AnalysisOptions", "RecordTask", "find_records", "read_beats", "run_batch"]


def run_batch(*args, **kwargs):
    """See :func:`ecg_lstm.batch.runner.run_batch` (imported on use: it needs Ray)."""
    from .runner import run_batch as _run

    return _run(*args, **kwargs)
