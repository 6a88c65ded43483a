"""EDF+ files of a record with its beats and events as annotations (for exports), written with edfio.

Each lead is written in 16 bits at its own step (:mod:`.digitise`; MIT-BIH's 5 uV
gives the same samples back), in mV, with the start date and time of the record.
The annotations are EDF+ TALs: one per beat (its label, a WFDB/AAMI code such as
N, S, V, F or Q, at the beat's time; "Q" for a beat without a label) and one per
event (its type, with the event's duration). :func:`~ecg_lstm.io.edf_format.read_edf`
reads them back: beats as :class:`~ecg_lstm.io.record.Annotations`, all of them in
``metadata["edf_annotations"]``.

This module takes plain arrays and tables, not an analysis: the io stage comes
before the analysis in the package's order (``edf_bytes(a.record, a.beats["sample"],
a.beats["label"], a.events)`` from an analysis).
"""
from __future__ import annotations

import datetime as dt
import io
import math
from pathlib import Path
from typing import Iterable

import numpy as np

from ..errors import RecordError
from .digitise import lead_step_nv
from .record import Record


def beat_event_annotations(fs: float, beat_samples=(), beat_labels=(), events=None) -> list[tuple]:
    """(onset_s, duration_s or None, text) for beats (sample numbers, labels) and events (a table with
    ``start_sample``, ``end_sample`` and ``type`` columns, e.g. an analysis' events DataFrame)."""
    samples = np.asarray(beat_samples, dtype=np.int64)
    labels = [str(x) for x in beat_labels] if len(beat_labels) else ["Q"] * len(samples)
    if len(labels) != len(samples):
        raise RecordError(f"{len(samples)} beat samples but {len(labels)} beat labels; give one label per beat")
    out = [(s / fs, None, lab.strip() or "Q") for s, lab in zip(samples.tolist(), labels)]
    rows = events.to_dict("records") if hasattr(events, "to_dict") else list(events or [])
    for ev in rows:
        a, b = int(ev["start_sample"]), int(ev.get("end_sample", ev["start_sample"]))
        out.append((a / fs, max(b - a, 0) / fs, str(ev.get("type") or ev.get("description") or "event")))
    return sorted(out, key=lambda t: t[0])


def write_edf(record: Record, path: str | Path | io.BytesIO, annotations: Iterable[tuple] = ()) -> None:
    """Write ``record`` as EDF+ with ``annotations`` ((onset_s, duration_s or None, text) each)."""
    import edfio

    x = np.asarray(record.signal, dtype=np.float64)
    n, m = x.shape
    fs = float(record.fs)
    spr = _samples_per_record(n, fs)
    signals = []
    for j in range(m):
        step = lead_step_nv(x[:, j]) * 1e-6  # mV per digital unit
        lo, hi = _fit8(-32768 * step), _fit8(32767 * step)
        col = np.clip(np.nan_to_num(x[:, j], nan=0.0), lo, hi)
        signals.append(edfio.EdfSignal(col, sampling_frequency=fs, label=str(record.lead_names[j])[:16],
                                       physical_dimension="mV", physical_range=(lo, hi)))
    date, time = record.metadata.get("base_date"), record.metadata.get("base_time")
    start_date = _iso(dt.date, date)
    start_time = _iso(dt.time, time)
    anns = [edfio.EdfAnnotation(float(o), None if d is None else float(d), str(t)) for o, d, t in annotations]
    edf = edfio.Edf(signals, recording=edfio.Recording(startdate=start_date) if start_date else None,
                    starttime=start_time, data_record_duration=spr / fs, annotations=anns)
    edf.write(path if isinstance(path, io.BytesIO) else Path(path))


def edf_bytes(record: Record, beat_samples=(), beat_labels=(), events=None) -> bytes:
    """``record`` with its beats and events as an EDF+ file in memory; see :func:`beat_event_annotations`."""
    buf = io.BytesIO()
    write_edf(record, buf, beat_event_annotations(record.fs, beat_samples, beat_labels, events))
    return buf.getvalue()


def _samples_per_record(n: int, fs: float) -> int:
    """Samples per data record: whole seconds when the length allows, else one record for all."""
    per_s = round(fs)
    if abs(fs - per_s) < 1e-9:
        k = math.gcd(n, per_s * 10)
        if k >= per_s / 10:
            return k
    return n


def _fit8(v: float) -> float:
    """A physical limit that the 8-character EDF header field holds exactly."""
    for digits in range(8, 0, -1):
        text = f"{v:.{digits}g}"
        if len(text) <= 8:
            return float(text)
    raise RecordError(f"the physical range {v} cannot be written in an EDF header")


def _iso(kind, text):
    try:
        return kind.fromisoformat(str(text)) if text else None
    except ValueError:
        return None
