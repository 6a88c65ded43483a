"""The one entry point: :func:`detect_events`, a labelled beat table in, an event table out
(the rules are described in the package's docstring, :mod:`ecg_lstm.findings.events`)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from ...errors import RecordError
from ...signal.checks import check_fs
from ...signal.quality import NOISY_BELOW
from .ectopy import ectopic_runs, patterns
from .episodes import alarm_flags
from .rates import av_block, rate_events
from .rules import COLUMNS, RHYTHM_EVENTS, SIGNAL_TYPES, EventRules, duration_text, mean_rate


def detect_events(beats: pd.DataFrame, fs: float, rhythm_episodes: pd.DataFrame | None = None,
                  peaks_quality: pd.DataFrame | None = None, rules: EventRules | None = None,
                  flutter_segments=None) -> pd.DataFrame:
    """Arrhythmia events in a labelled beat sequence.

    Parameters
    ----------
    beats : DataFrame with ``sample`` (int, strictly increasing) and ``label``
        (N/S/V/F/Q, ``""`` when unclassified; absent means all unclassified,
        which leaves only the rate events).
    fs : sampling rate (Hz) of the sample numbers.
    rhythm_episodes : optional DataFrame with ``label``, ``start_sample``,
        ``end_sample``; AFIB and AFL rows become ``afib`` / ``aflutter`` events.
    peaks_quality : optional quality table (``start_sample``, ``end_sample``,
        ``noisy``), e.g. from :func:`ecg_lstm.signal.quality.signal_quality`.
    rules : thresholds; default :class:`EventRules()`.
    flutter_segments : optional (start_sample, end_sample) spans of ventricular
        flutter / fibrillation, e.g. from :func:`ventricular_flutter_segments`;
        each becomes a ``vflutter`` event.

    Returns
    -------
    DataFrame with columns type, start_sample, end_sample (first and last
    beat of the event; for a pause, the two beats around it), start_s, end_s,
    n_beats, description, noisy (bool: in noisy signal, see
    ``EventRules.noisy_event_s``), alarm (bool: a monitor alarms on it, see
    :func:`~ecg_lstm.findings.events.episodes.alarm_flags`); sorted by start_sample.
    """
    rules = rules or EventRules()
    fs = check_fs(fs)
    samples, labels = _check_beats(beats)
    p_v = _p_v(beats, len(samples))
    ev: list[tuple] = []
    in_run = np.zeros(len(samples), bool)  # beats inside VT/IVR/SVT runs
    in_af = _af_mask(rhythm_episodes, samples)
    pattern_v = patterns(samples, labels, fs, rules, ev)
    ectopic_runs(samples, labels, fs, rules, ev, "V", pattern_v, in_run, p_v)
    ectopic_runs(samples, labels, fs, rules, ev, "S", in_af, in_run)
    noisy = _noisy_mask(peaks_quality, samples)
    rate_events(samples, fs, rules, ev, in_run, noisy)
    av_block(samples, labels, fs, rules, ev, in_af if noisy is None else in_af | noisy)
    _rhythm_events(rhythm_episodes, samples, fs, ev)
    for a, b in (flutter_segments or []):
        a, b = int(a), int(b)
        n = int(np.searchsorted(samples, b, "right") - np.searchsorted(samples, a, "left"))
        ev.append(("vflutter", a, b, n, f"Ventricular flutter / fibrillation for {duration_text((b - a) / fs)}"))
    out = pd.DataFrame(ev, columns=["type", "start_sample", "end_sample", "n_beats", "description"])
    out["start_sample"] = out["start_sample"].astype(np.int64)
    out["end_sample"] = out["end_sample"].astype(np.int64)
    out["n_beats"] = out["n_beats"].astype(np.int64)
    out["start_s"] = out["start_sample"] / fs
    out["end_s"] = out["end_sample"] / fs
    out["noisy"] = _event_noisy(out, samples, noisy, fs, rules)
    out["alarm"] = alarm_flags(out, rules)
    out = out[COLUMNS].sort_values(["start_sample", "end_sample", "type"], kind="stable")
    return out.reset_index(drop=True)


def _event_noisy(out: pd.DataFrame, samples, noisy, fs, rules) -> np.ndarray:
    """Whether each event lies in noisy signal (see ``EventRules.noisy_event_s``)."""
    if noisy is None or not len(out):
        return np.zeros(len(out), bool)
    cs = np.concatenate([[0], np.cumsum(noisy)])
    i = np.searchsorted(samples, out["start_sample"].to_numpy(), "left")
    j = np.searchsorted(samples, out["end_sample"].to_numpy(), "right")
    n_noisy, n = cs[j] - cs[i], np.maximum(j - i, 1)
    short = (out["end_sample"] - out["start_sample"]).to_numpy() / fs < rules.noisy_event_s
    flag = np.where(short, n_noisy > 0, n_noisy / n > rules.noisy_overlap)
    return flag & ~out["type"].isin(SIGNAL_TYPES).to_numpy()


def _p_v(beats: pd.DataFrame, n: int) -> np.ndarray:
    """Classifier probability of V per beat (1 where the table has none: labels are taken as given)."""
    if "p_V" not in beats.columns:
        return np.ones(n)
    p = pd.to_numeric(beats["p_V"], errors="coerce").to_numpy(float)
    return np.where(np.isfinite(p), p, 1.0)


def _af_mask(episodes, samples) -> np.ndarray:
    """True for each beat inside an atrial fibrillation or flutter episode."""
    mask = np.zeros(len(samples), bool)
    if episodes is None or not len(episodes) or "label" not in episodes.columns:
        return mask
    for lab, a, b in zip(episodes["label"].astype(str), episodes["start_sample"], episodes["end_sample"]):
        if RHYTHM_EVENTS.get(lab.strip().lstrip("(").rstrip("\x00").upper()):
            mask[np.searchsorted(samples, a, "left"):np.searchsorted(samples, b, "right")] = True
    return mask


def _rhythm_events(episodes, samples, fs, ev):
    """afib / aflutter events from rhythm episodes (pass-through)."""
    if episodes is None or len(episodes) == 0:
        return
    for col in ("label", "start_sample", "end_sample"):
        if col not in episodes.columns:
            raise RecordError(f"rhythm_episodes lacks column {col!r}; expected label, start_sample, end_sample")
    names = {"afib": "Atrial fibrillation", "aflutter": "Atrial flutter"}
    for lab, a, b in zip(episodes["label"].astype(str), episodes["start_sample"], episodes["end_sample"]):
        kind = RHYTHM_EVENTS.get(lab.strip().lstrip("(").rstrip("\x00").upper())
        if kind is None:
            continue
        i, j = np.searchsorted(samples, a, side="left"), np.searchsorted(samples, b, side="right")
        n = int(j - i)
        rate = f", {mean_rate(samples, i, j - 1, fs):.0f} bpm average" if n >= 2 else ""
        ev.append((kind, int(a), int(b), n, f"{names[kind]} for {duration_text((b - a) / fs)}{rate}"))


def _noisy_mask(quality, samples) -> np.ndarray | None:
    """True for each beat lying in noisy signal.

    With the quality table's local columns (``noisy_from_sample`` / ``noisy_to_sample``, see
    :func:`ecg_lstm.signal.quality.signal_quality`): the beats inside the locally noisy part of
    each row, and every beat of a row flagged noisy for another reason than its score (missing
    samples); so the verdict on a beat does not depend on where the record's 10-s grid cuts the
    noise.  Without them (an older table): the beats in a noisy row."""
    if quality is None or len(quality) == 0 or "noisy" not in quality.columns:
        return None
    noisy = np.zeros(len(samples), bool)
    flagged = quality["noisy"].to_numpy(bool)
    spans = []
    if {"noisy_from_sample", "noisy_to_sample", "quality"} <= set(quality.columns):
        lo, hi = quality["noisy_from_sample"].to_numpy(np.int64), quality["noisy_to_sample"].to_numpy(np.int64)
        spans.append((lo[hi > lo], hi[hi > lo]))
        flagged = flagged & (quality["quality"].to_numpy(float) >= NOISY_BELOW)  # noisy for missing samples
    rows = quality["start_sample"].to_numpy(np.int64), quality["end_sample"].to_numpy(np.int64)
    spans.append((rows[0][flagged], rows[1][flagged]))
    for starts, ends in spans:
        for a, b in zip(starts.tolist(), ends.tolist()):
            noisy[np.searchsorted(samples, a, "left"):np.searchsorted(samples, b, "left")] = True
    return noisy


def _check_beats(beats) -> tuple[np.ndarray, np.ndarray]:
    if not isinstance(beats, pd.DataFrame) or "sample" not in beats.columns:
        raise RecordError("beats must be a DataFrame with a 'sample' column (and 'label': N/S/V/F/Q or '')")
    samples = beats["sample"].to_numpy()
    if len(samples) and (not np.issubdtype(samples.dtype, np.number) or not np.all(np.isfinite(samples))):
        raise RecordError("beats['sample'] must hold whole sample numbers (no NaN)")
    samples = samples.astype(np.int64)
    if np.any(np.diff(samples) <= 0):
        raise RecordError("beats must be sorted by strictly increasing 'sample'; sort and drop duplicates first")
    if "label" in beats.columns:
        lab = beats["label"].to_numpy(dtype=object)
        labels = np.where(pd.isna(lab), "", lab).astype(str)
    else:
        labels = np.full(len(samples), "", dtype=str)
    return samples, labels

