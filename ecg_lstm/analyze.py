"""One record in, everything out: beats, labels, vitals, quality, rhythm, events.

``analyze_record`` is the single path that the CLI, the evaluation and the
dashboard share, so the numbers each of them shows are the same numbers.
"""
from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from .beats.aami import CLASSES, reference_beats
from .beats.corrections import match_labels
from .errors import RecordError
from .findings.atrial_flutter import split_atrial_flutter
from .findings.events import detect_events
from .findings.hrv import hrv_applicability
from .findings.vitals import ecg_vitals
from .io.record import Record
from .signal.lead_fusion import MIN_LEADS, fused_peaks, fusion_leads
from .signal.peaks import ecg_peaks
from .signal.quality import noisy_share_pct, signal_quality
from .signal.rate_check import rate_plausibility
from .signal.spans import bridge_gaps, long_runs
from .signal.ventricular_flutter import ventricular_flutter_segments

BEAT_COLUMNS = ["sample", "time_s", "label", "confidence"] + [f"p_{c}" for c in CLASSES]
#: WFDB symbol written for each class (and "?" for a beat left unclassified).
WFDB_SYMBOL = {"N": "N", "S": "S", "V": "V", "F": "F", "Q": "Q", "": "?"}


@dataclass
class Analysis:
    """Result of :func:`analyze_record`.

    ``beats`` has one row per beat: ``sample`` (record's own sample number),
    ``time_s``, ``label`` (N/S/V/F/Q, empty when no classifier ran),
    ``confidence`` and ``p_N`` .. ``p_Q`` (calibrated probabilities).
    """

    record: Record
    lead_index: int
    beat_source: str
    beats: pd.DataFrame
    vitals: dict
    quality: pd.DataFrame
    events: pd.DataFrame = field(default_factory=pd.DataFrame)
    rhythm_episodes: pd.DataFrame = field(default_factory=pd.DataFrame)
    model: dict = field(default_factory=dict)
    #: Sentences about the analysis itself that the reader of the results must see (e.g. a
    #: sampling rate that looks wrong; see :mod:`ecg_lstm.signal.rate_check`).
    warnings: list = field(default_factory=list)
    #: What :func:`relabel` reuses, shared by the analyses relabelled from this one: results that do
    #: not depend on the beat labels (ventricular flutter spans, the flutter parts of AF episodes),
    #: the rhythm model's last beat probabilities (:class:`~ecg_lstm.rhythm.incremental.RhythmMemo`)
    #: and the last HRV figures with the NN intervals they came from; with an adapted classifier, the
    #: record's adapter (``"adapter"``, kept in memory only: see ``ecg_lstm.review.record_adapter``).
    derived: dict = field(default_factory=dict, repr=False, compare=False)

    def to_json_dict(self) -> dict:
        """Vitals, events, rhythm and record metadata as plain JSON types."""
        rec = self.record
        out = {
            "record": {
                "name": rec.name,
                "fs_hz": rec.fs,
                "n_samples": rec.n_samples,
                "duration_s": round(rec.duration_s, 3),
                "leads": rec.lead_names,
                "units": rec.units,
                "analysed_lead": rec.lead_names[self.lead_index],
                # Patient fields a file carries (ISHNE, DICOM, XML) stay out of the outputs: they go
                # only to the report's fields, and only when a person opens the record.
                "metadata": _jsonable({k: v for k, v in rec.metadata.items() if k != "patient"}),
            },
            "beat_source": self.beat_source,
            "n_beats": int(len(self.beats)),
            "model": self.model,
            "vitals": _jsonable(self.vitals),
            "noisy_share_pct": round(noisy_share_pct(self.quality), 2),
            "missing_share_pct": round(100.0 * rec.metadata.get("nan_fraction", [0.0] * (self.lead_index + 1))
                                       [self.lead_index], 2),
            "quality_segments": _records(self.quality),
            "events": _records(self.events),
            "rhythm_episodes": _records(self.rhythm_episodes),
        }
        if self.warnings:
            out["warnings"] = list(self.warnings)
        if len(self.rhythm_episodes):
            from .rhythm.labels import af_burden

            out["af_burden_pct"] = round(float(af_burden(self.rhythm_episodes, rec.duration_s)), 2)
        return out


@lru_cache(maxsize=4)
def _default_classifier():
    from .classifier.predict import BeatClassifier

    return BeatClassifier.load()


@lru_cache(maxsize=4)
def _default_rhythm():
    from .rhythm.predict import RhythmClassifier

    return RhythmClassifier.load()


def reference_beat_samples(record: Record) -> np.ndarray:
    """Sample numbers of the reference beat annotations of ``record``."""
    if record.annotations is None:
        why = record.metadata.get("annotation_error")  # a damaged file: the reader left it out
        raise RecordError(
            f"record {record.name!r} has no usable reference annotations{f' ({why})' if why else ''}; "
            "drop --reference-beats to detect beats, or give the annotation extension with --annotator")
    samples = reference_beats(record)[0]
    if not len(samples):
        raise RecordError(
            f"record {record.name!r}: its {record.annotations.extension} file holds no beat annotations; "
            "drop --reference-beats to detect beats")
    return samples


def analyze_record(record: Record, *, lead: str | int | None = None, reference_beats: bool = False,
                   classifier="default", rhythm="default", adapt: bool = False,
                   reviewed: tuple[np.ndarray, np.ndarray] | None = None, progress=None) -> Analysis:
    """Locate, label and summarise every beat of ``record``.

    Parameters
    ----------
    record : a :class:`~ecg_lstm.io.record.Record`.
    lead : lead name or index; default MLII/II, else the first ECG lead.
    reference_beats : take beat positions from the record's reference
        annotations instead of detecting them (the literature's protocol).
    classifier, rhythm : ``"default"`` (the shipped models), ``None`` (skip),
        or a loaded ``BeatClassifier`` / ``RhythmClassifier``.
    adapt : adapt the beat classifier to this record without labels
        (``classifier.adapt.RecordAdapter.unsupervised``).
    reviewed : reviewed beats ``(samples, labels)`` (sample numbers, "N".."Q", e.g. from
        ``corrections.read_labels``): the classifier is adapted to them and relabels the record;
        beats within 150 ms of a reviewed one take its label.
    progress : optional ``progress(fraction, step)`` called as each step starts
        (fraction 0..1: the share of a 24 h record's time spent before it; step a short
        phrase), e.g. for a progress bar.
    """

    step = progress or (lambda fraction, what: None)
    idx = record.lead_index(lead)
    ecg, gaps = bridge_gaps(record.signal[:, idx])
    fs = record.fs
    step(0.0, "detecting beats")
    if reference_beats:
        peaks, source = reference_beat_samples(record), "reference"
    else:
        # Three ECG leads or more: a beat seen on any two of them counts (signal.lead_fusion).
        fused = fusion_leads(record.lead_names, record.units, idx)
        peaks = ecg_peaks(ecg, fs)[0] if len(fused) == 1 else \
            fused_peaks(record.signal, fs, record.lead_names, record.units, idx)[0]
        if gaps is not None:  # no beat is invented where the signal was missing (50 ms or more;
            # a bridged shorter gap, e.g. one empty CSV cell in seven, cannot hide or fake a QRS)
            peaks = peaks[~long_runs(gaps, max(1, int(0.05 * fs)))[peaks]]
        source = "detected"
    peaks = np.asarray(peaks, dtype=np.int64)
    rate = rate_plausibility(ecg, fs, peaks)
    warnings = [rate["warning"]] if rate["warning"] else []

    beats = pd.DataFrame({"sample": peaks, "time_s": peaks / fs})
    model, derived = {}, {}
    if not reference_beats and len(fused) > 1:
        model["beat_detection"] = (f"leads {', '.join(record.lead_names[i] for i in fused)}: a beat seen on "
                                   f"{MIN_LEADS} of them counts")
    step(0.1, "classifying beats")
    # The signal quality needs the beats but not their labels: it is scored on the other core
    # while the classifier runs.
    with ThreadPoolExecutor(1) as pool:
        scored = pool.submit(signal_quality, ecg, fs, peaks)
        if classifier is not None:
            clf = _default_classifier() if isinstance(classifier, str) else classifier
            if adapt or reviewed is not None:
                labels, probs, model["adaptation"], derived["adapter"] = _adapted(clf, ecg, fs, peaks, reviewed)
            else:
                labels, probs = clf.predict(ecg, fs, peaks)
            beats["label"] = np.asarray(labels, dtype=object)
            beats["confidence"] = probs.max(axis=1) if len(probs) else np.zeros(0)
            for j, c in enumerate(CLASSES):
                beats[f"p_{c}"] = probs[:, j] if len(probs) else np.zeros(0)
            model["beat_classifier"] = getattr(clf, "name", type(clf).__name__)
        else:
            beats["label"] = ""
            for col in BEAT_COLUMNS[3:]:
                beats[col] = np.nan
        beats = beats[BEAT_COLUMNS]
        step(0.28, "scoring signal quality")
        quality = scored.result()
    if gaps is not None:  # windows missing 5 % of their samples or more count as noisy
        quality = _missing_is_noisy(quality, gaps)
    return _summarise(record, idx, source, beats, quality, ecg, labelled=classifier is not None, rhythm=rhythm,
                      model=model, step=step, warnings=warnings, derived=derived)


def relabel(analysis: Analysis, labels, probs, name: str, rhythm="default") -> Analysis:
    """``analysis`` with other beat labels (a reviewer's, or adapted to them): the beats and the
    signal quality stay, the vitals, rhythm episodes and events are computed again from the new
    labels as :func:`analyze_record` computes them (the one path), without detecting anew.
    What does not depend on the labels is reused, and the rhythm model runs again only around
    the beats whose ectopic flag changed (``analysis.derived``): on a day of beats one
    correction costs a fraction of a second, not the seconds of the whole rhythm pass.

    ``labels`` (n,) "N".."Q" and ``probs`` (n, 5) in the order of ``analysis.beats``; ``name``
    names the labels' origin in ``model["beat_classifier"]``.
    """
    beats = analysis.beats[BEAT_COLUMNS].copy()
    probs = np.asarray(probs, dtype=float)
    if len(labels) != len(beats) or probs.shape != (len(beats), len(CLASSES)):
        raise ValueError(f"{len(beats)} beats: give {len(beats)} labels and a ({len(beats)}, {len(CLASSES)}) "
                         f"probability array (got {len(labels)} and {probs.shape})")
    beats["label"] = np.asarray(labels, dtype=object)
    beats["confidence"] = probs.max(axis=1) if len(probs) else np.zeros(0)
    for j, c in enumerate(CLASSES):
        beats[f"p_{c}"] = probs[:, j]
    model = {"beat_classifier": name, **{k: analysis.model[k] for k in ("beat_detection",) if k in analysis.model}}
    return _summarise(analysis.record, analysis.lead_index, analysis.beat_source, beats, analysis.quality, None,
                      labelled=True, rhythm=rhythm, model=model, warnings=analysis.warnings, derived=analysis.derived)


def _summarise(record: Record, idx: int, source: str, beats: pd.DataFrame, quality: pd.DataFrame, ecg,
               *, labelled: bool, rhythm, model: dict, step=None, warnings=(), derived: dict | None = None) -> Analysis:
    """What follows from the labelled beats: vitals, rhythm episodes, events. ``ecg``: the analysed
    lead with its gaps bridged (None: bridged here when needed); ``derived``: see ``Analysis.derived``."""
    step = step or (lambda fraction, what: None)
    derived = {} if derived is None else derived
    fs = record.fs
    peaks = beats["sample"].to_numpy(np.int64)
    labels = beats["label"].to_numpy() if labelled else None
    step(0.58, "vitals and rhythm")
    # What does not need the rhythm runs on the other core while the rhythm model runs: the
    # flutter scan (from the signal, the beats and the quality, not the labels), then the vitals.
    with ThreadPoolExecutor(1) as pool:
        if "flutter" not in derived:
            ecg = bridge_gaps(record.signal[:, idx])[0] if ecg is None else ecg
            flutter = pool.submit(ventricular_flutter_segments, ecg, fs, peaks, quality)
        vitals = pool.submit(ecg_vitals, peaks, fs, labels=labels, n_samples=record.n_samples,
                             memo=derived.setdefault("hrv", {}))
        episodes = pd.DataFrame()
        if rhythm is not None:
            from .rhythm.incremental import RhythmMemo, beat_probs
            from .rhythm.predict import EPISODE_COLUMNS, MIN_BEATS, episodes_from_probs

            rm = _default_rhythm() if isinstance(rhythm, str) else rhythm
            episodes = pd.DataFrame(columns=EPISODE_COLUMNS)
            if len(peaks) >= MIN_BEATS:
                probs = beat_probs(rm, peaks, fs, labels, memo=derived.setdefault("rhythm", RhythmMemo()))
                episodes = episodes_from_probs(probs, peaks, fs, record.n_samples, **rm.post)
            episodes = split_atrial_flutter(episodes, record.signal, fs, peaks, known=derived.setdefault("afl", {}))
            model["rhythm_classifier"] = getattr(rm, "name", type(rm).__name__)
        vitals = vitals.result()
        if "flutter" not in derived:
            derived["flutter"] = flutter.result()
    vitals.update(_hrv_applicability(beats, episodes, record.duration_s))
    step(0.9, "events")
    events = detect_events(beats, fs, rhythm_episodes=episodes if len(episodes) else None, peaks_quality=quality,
                           flutter_segments=derived["flutter"])
    step(1.0, "done")
    return Analysis(record, idx, source, beats, vitals, quality, events, episodes, model, list(warnings), derived)


def _adapted(clf, ecg, fs, peaks, reviewed):
    """Labels and probabilities adapted to the record (with reviewed beats when given), and the
    record's adapter, kept in memory with the analysis for the review to reuse."""
    from .classifier.adapt import RecordAdapter
    from .classifier.runtime import InMemoryOnly

    ad = RecordAdapter(clf, ecg, fs, peaks)
    if reviewed is None:
        return (*ad.unsupervised(), "unsupervised", InMemoryOnly(ad))
    idx, lab = match_labels(peaks, reviewed[0], reviewed[1], fs)
    return (*ad.with_labels(idx, lab), f"{len(idx)} reviewed beats", InMemoryOnly(ad))


def _hrv_applicability(beats: pd.DataFrame, episodes: pd.DataFrame, duration_s: float) -> dict:
    """``hrv_applicable`` and ``hrv_not_applicable_reason`` for the vitals: the one decision
    (:func:`ecg_lstm.findings.hrv.hrv_applicability`) that the page shows too."""
    h = hrv_applicability(beats, episodes, duration_s)
    return {"hrv_applicable": bool(h["applicable"]), "hrv_not_applicable_reason": h["reason"] or None}


def _missing_is_noisy(quality: pd.DataFrame, gaps: np.ndarray) -> pd.DataFrame:
    """Flag as noisy the quality windows with 5 % or more missing samples."""
    if not len(quality):
        return quality
    share = np.array([gaps[int(a):int(b)].mean() if b > a else 0.0
                      for a, b in zip(quality["start_sample"], quality["end_sample"])])
    quality = quality.copy()
    quality["noisy"] = quality["noisy"].to_numpy(bool) | (share >= 0.05)
    return quality


def write_outputs(analysis: Analysis, out_dir: str | Path, annotation_ext: str | None = None) -> list[Path]:
    """Write ``<name>.csv`` (beats), ``<name>.json`` (vitals, events, metadata)
    and, with ``annotation_ext``, a WFDB annotation file ``<name>.<ext>``."""
    out_dir = Path(out_dir)
    name = analysis.record.name
    if annotation_ext:
        _check_annotation_target(name, annotation_ext)
    out_dir.mkdir(parents=True, exist_ok=True)
    csv_path, json_path = out_dir / f"{name}.csv", out_dir / f"{name}.json"
    _write_csv(analysis.beats, csv_path)
    json_path.write_text(json.dumps(analysis.to_json_dict(), indent=2))
    paths = [csv_path, json_path]
    if annotation_ext:
        paths.append(write_annotations(analysis, out_dir, annotation_ext))
    return paths


def _write_csv(beats: pd.DataFrame, path: Path) -> None:
    """The beat table as CSV, values to 6 decimals: written by pyarrow (the Parquet library the
    project already has), a day of beats in a tenth of a second where pandas' formatter takes
    nearly one. Labels and column names hold no comma or quote, so nothing is quoted."""
    import pyarrow as pa
    from pyarrow import csv as pa_csv

    table = beats.copy()
    for col in table.columns:
        if table[col].dtype.kind == "f":
            table[col] = table[col].round(6)
    pa_csv.write_csv(pa.Table.from_pandas(table, preserve_index=False), path,
                     pa_csv.WriteOptions(quoting_style="none", quoting_header="none"))


def _check_annotation_target(name: str, extension: str) -> None:
    """What ``wfdb.wrann`` refuses, refused first with a clear error (and before any file is written)."""
    import re

    if not isinstance(extension, str) or not re.fullmatch(r"[A-Za-z]{1,16}", extension):
        raise RecordError(f"annotation extension {extension!r} must be 1-16 letters, e.g. 'lstm'")
    if not re.fullmatch(r"[-\w]+", name):
        raise RecordError(f"record name {name!r} has characters a WFDB annotation file name cannot hold "
                          "(letters, digits, - and _ only); rename the record's files to write annotations")


def annotation_arrays(analysis: Analysis) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Beat and rhythm annotations as WFDB (sample, symbol, aux_note) arrays."""
    samples = analysis.beats["sample"].to_numpy(np.int64)
    symbols = [WFDB_SYMBOL.get(lab, "?") for lab in analysis.beats["label"].fillna("")]
    aux = [""] * len(samples)
    if len(analysis.rhythm_episodes):
        from .rhythm.predict import episodes_to_wfdb

        r_samp, r_sym, r_aux = episodes_to_wfdb(analysis.rhythm_episodes)
        samples = np.concatenate([samples, np.asarray(r_samp, np.int64)])
        symbols += list(r_sym)
        aux += list(r_aux)
    order = np.argsort(samples, kind="stable")
    return samples[order], np.asarray(symbols, dtype=object)[order], [aux[i] for i in order]


def write_annotations(analysis: Analysis, out_dir: str | Path, extension: str) -> Path:
    """Write a WFDB annotation file readable by ``wfdb.rdann`` and PhysioNet tools."""
    import wfdb

    _check_annotation_target(analysis.record.name, extension)
    samples, symbols, aux = annotation_arrays(analysis)
    wfdb.wrann(analysis.record.name, extension, samples, symbol=list(symbols), aux_note=aux,
               fs=analysis.record.fs, write_dir=str(out_dir))
    return Path(out_dir) / f"{analysis.record.name}.{extension}"


def _records(df: pd.DataFrame) -> list[dict]:
    return _jsonable(df.to_dict(orient="records")) if df is not None and len(df) else []


def _jsonable(obj):
    """Convert numpy scalars/arrays and NaN to plain JSON values."""
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return _jsonable(obj.tolist())
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        return None if not np.isfinite(obj) else float(obj)
    if isinstance(obj, np.bool_):
        return bool(obj)
    return obj
