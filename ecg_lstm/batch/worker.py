"""Analysing one record of a batch: the body of a Ray worker, with no Ray in it.

:class:`RecordWorker` loads the models once and then runs :func:`analyze_record`
(the CLI's path) on record after record, writing each one's beats partition
itself, so the beats never travel through the driver. It returns the small
things: the records.parquet row and the events. Any failure of one record becomes
a failure row; the worker goes on with the next.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import socket
import time
from dataclasses import dataclass
from pathlib import Path

from ..errors import ECGError
from .results import analysis_dir, failure_row, record_row, write_beats
from .sources import RecordTask


@dataclass(frozen=True)
class AnalysisOptions:
    """What ``analyze`` options mean for every record of the batch (see ``python -m ecg_lstm analyze -h``)."""

    lead: str | int | None = None
    reference_beats: bool = False
    annotator: str = "atr"
    fs: float | None = None
    max_hours: float = 48.0
    max_signal_mb: float | None = None
    model: str | None = None
    rhythm_model: str | None = None
    classify: bool = True
    adapt: bool = False  # adapt the beat classifier to each record without labels (analyze --adapt)
    keep_analysis: bool = False  # also save each analysis under OUT/_analyses/ (batch --store adds them as studies)


class _Timed:
    """Stands in for a classifier and adds up the seconds spent in its ``predict``.

    It tells how much of a record's cost is the models (what a GPU could take over)
    without changing ``analyze_record``.
    """

    def __init__(self, inner):
        self._inner, self.seconds = inner, 0.0

    def predict(self, *args, **kwargs):
        t0 = time.perf_counter()
        try:
            return self._inner.predict(*args, **kwargs)
        finally:
            self.seconds += time.perf_counter() - t0

    def __getattr__(self, name):
        return getattr(self._inner, name)


def _file_digest(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:12]


def load_models(opts: AnalysisOptions, device: str = "cpu"):
    """(beat classifier, rhythm classifier, model version text); ``(None, None, "none")`` without classification."""
    if not opts.classify:
        return None, None, "none (beats and vitals only)"
    from ..classifier.predict import DEFAULT_PATH as BEAT_PATH
    from ..classifier.predict import BeatClassifier
    from ..rhythm.predict import DEFAULT_WEIGHTS as RHYTHM_PATH
    from ..rhythm.predict import RhythmClassifier

    clf = BeatClassifier.load(opts.model)
    rhythm = RhythmClassifier.load(opts.rhythm_model)
    if device != "cpu" and not opts.adapt:  # adaptation fine-tunes the networks: kept on the CPU
        from .device import beat_classifier_on
        clf = beat_classifier_on(clf, device)
    # The name says the training date; the digest tells two weights files apart for sure.
    version = (f"{clf.name} sha256:{_file_digest(opts.model or BEAT_PATH)}; "
               f"{rhythm.name} sha256:{_file_digest(opts.rhythm_model or RHYTHM_PATH)}")
    return clf, rhythm, version


class RecordWorker:
    """Models loaded once; :meth:`run` analyses one record and writes its beats under ``out``."""

    def __init__(self, out: str, opts: AnalysisOptions, device: str = "cpu", threads: int = 1):
        import torch

        torch.set_num_threads(max(1, threads))
        self.out, self.opts, self.device = Path(out), opts, device
        self.host = socket.gethostname()
        self.clf = self.rhythm = None
        self.model_version, self.error = "", None
        try:
            self.clf, self.rhythm, self.model_version = load_models(opts, device)
        except ECGError as e:  # reported by ready(), so that the batch stops with the reason
            self.error = str(e)

    def ready(self) -> str | None:
        """None when the models are loaded, else why not."""
        return self.error

    def run(self, task: RecordTask) -> tuple[dict, object]:
        """(records.parquet row, events DataFrame or None) of one record; never raises for a bad record."""
        from ..analyze import analyze_record
        from ..io.read import read_record

        o = self.opts
        t0 = time.perf_counter()
        # The adaptation works on the classifier itself: no timing stand-in there.
        clf = _Timed(self.clf) if self.clf is not None and not o.adapt else self.clf
        rhythm = _Timed(self.rhythm) if self.rhythm is not None else None
        try:
            rec = read_record(task.path, lead=o.lead, annotator=o.annotator, fs=o.fs, max_hours=o.max_hours,
                              max_signal_mb=o.max_signal_mb)
            t1 = time.perf_counter()
            res = analyze_record(rec, lead=o.lead, reference_beats=o.reference_beats, classifier=clf, rhythm=rhythm,
                                 **({"adapt": True} if o.adapt else {}))
            t2 = time.perf_counter()
            write_beats(res, self.out, task.record_id)
            if o.keep_analysis:
                from ..saved_analysis import save_analysis

                save_analysis(res, analysis_dir(self.out, task.record_id))
            row, events = record_row(res, task.record_id, task.path)
            t3 = time.perf_counter()
            row.update(read_s=t1 - t0, analyze_s=t2 - t1, write_s=t3 - t2,
                       model_s=sum(m.seconds for m in (clf, rhythm) if isinstance(m, _Timed)))
        except ECGError as e:
            row, events = failure_row(task.record_id, task.path, e), None
        except Exception as e:  # noqa: BLE001 - one record's unforeseen failure must not stop the batch
            row, events = failure_row(task.record_id, task.path, f"unexpected {type(e).__name__}: {e}"), None
            row["error_type"] = type(e).__name__
        row.update(model_version=self.model_version, worker=f"{self.host} ({self.device})",
                   finished_at=dt.datetime.now(dt.timezone.utc))
        return row, events
