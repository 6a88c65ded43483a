"""The rhythm in words ("Sinus rhythm throughout with 2 episodes of sinus bradycardia", "Atrial
fibrillation, burden 7.7 %"), from the rhythm model's episodes and the events the page lists; and
the AF figures (burden as :func:`ecg_lstm.rhythm.labels.af_burden` computes it, episodes, longest).
One wording for the page's overview and the report's clinical summary
(:mod:`ecg_lstm.report.rhythm_text` re-exports it)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..rhythm.labels import AF_LABELS, af_burden
from .events.episodes import episode_numbers
from .events.rules import duration_text

#: Share of the recording (%) above which one rhythm is said to hold throughout.
THROUGHOUT_PCT = 95.0


def _episodes(analysis) -> pd.DataFrame | None:
    ep = analysis.rhythm_episodes
    if ep is None or not len(ep) or "label" not in ep:
        return None
    return ep


def af_figures(analysis) -> dict:
    """``af_burden_pct`` (the page's :func:`af_burden`), ``af_episodes``, ``af_longest_s``,
    ``af_longest_at_s`` and ``rhythm_classified`` (whether rhythm episodes exist)."""
    ep = _episodes(analysis)
    dur = float(analysis.record.duration_s)
    out = {"af_burden_pct": 0.0, "af_episodes": 0, "af_longest_s": None, "af_longest_at_s": None,
           "rhythm_classified": ep is not None}
    if ep is None or dur <= 0:
        return out
    out["af_burden_pct"] = af_burden(ep, dur)
    af = ep[ep["label"].isin(AF_LABELS)]
    if len(af):
        length = (af["end_s"] - af["start_s"]).to_numpy(float)
        k = int(np.argmax(length))
        out.update(af_episodes=len(af), af_longest_s=float(length[k]), af_longest_at_s=float(af["start_s"].iloc[k]))
    return out


def _in_label(ep: pd.DataFrame | None, times: np.ndarray, labels) -> np.ndarray:
    """Whether each time lies in an episode with one of ``labels``."""
    inside = np.zeros(len(times), bool)
    if ep is None:
        return inside
    for a, b in zip(ep.loc[ep["label"].isin(labels), "start_s"], ep.loc[ep["label"].isin(labels), "end_s"]):
        inside |= (times >= a) & (times < b)
    return inside


def _rate_words(ev: pd.DataFrame, kind: str, ep, sinus_words: bool) -> str | None:
    """"episodes of sinus bradycardia (3, lowest 41 bpm average)" from the rate events."""
    rate = ev[ev["type"] == kind]
    if not len(rate):
        return None
    mid = 0.5 * (rate["start_s"] + rate["end_s"]).to_numpy(float)
    sinus = _in_label(ep, mid, ("N",)).mean() >= 0.5 if ep is not None else False
    word = ("sinus " if sinus and sinus_words else "") + kind
    return f"{len(rate):,} episode{'s' if len(rate) > 1 else ''} of {word}"


def _counted(ev: pd.DataFrame, noun: str | None = None) -> str:
    """"179 runs in 12 episodes" (:func:`~ecg_lstm.findings.events.episodes.episode_numbers`), or
    "3 runs" when each is an episode of its own; ``noun`` None: the bare number."""
    n, k = len(ev), len(set(episode_numbers(ev).tolist()))
    text = f"{n:,}" + (f" {noun}{'s' if n > 1 else ''}" if noun else "")
    return text + (f" in {k:,} episode{'s' if k > 1 else ''}" if k < n and noun != "episode" else "")


def rhythm_statements(analysis, ev: pd.DataFrame, af: dict, when) -> list[str]:
    """The rhythm statements, most important first. ``ev``: the events counted (rejected ones
    left out); ``af``: :func:`af_figures`; ``when``: seconds -> the time printed."""
    ep = _episodes(analysis)
    dur = float(analysis.record.duration_s)
    out = []
    if ep is None:
        out.append("Rhythm not classified (no rhythm model ran, or too few beats).")
    else:
        share = {lab: 100.0 * float((g["end_s"] - g["start_s"]).sum()) / dur for lab, g in ep.groupby("label")}
        sinus, other = share.get("N", 0.0), share.get("OTHER", 0.0)
        afl = share.get("AFL", 0.0)
        rates = [w for w in (_rate_words(ev, "bradycardia", ep, True), _rate_words(ev, "tachycardia", ep, True)) if w]
        if sinus >= 50.0:
            head = "Sinus rhythm" + (" throughout" if sinus >= THROUGHOUT_PCT else f" ({sinus:.0f} % of the time)")
            out.append(head + (" with " + " and ".join(rates) if rates else "") + ".")
        elif sinus > 0:
            out.append(f"Sinus rhythm for {sinus:.0f} % of the time" + (", with " + " and ".join(rates) if rates
                                                                       else "") + ".")
        elif rates:
            out.append(" and ".join(rates).capitalize() + ".")
        if af["af_episodes"]:
            name = "Atrial fibrillation" + (" / flutter" if afl > 0 else "")
            lead = f"{name} throughout" if af["af_burden_pct"] >= THROUGHOUT_PCT else name
            out.append(f"{lead}, burden {af['af_burden_pct']:.1f} %: {af['af_episodes']:,} episode"
                       f"{'s' if af['af_episodes'] > 1 else ''}, the longest {duration_text(af['af_longest_s'])} "
                       f"from {when(af['af_longest_at_s'])}.")
        if other >= 1.0:
            out.append(f"Another rhythm than sinus rhythm or atrial fibrillation for {other:.0f} % of the time "
                       "(the rhythm model cannot name it: e.g. ectopic atrial or junctional rhythm, bigeminy, "
                       "heart block; see the strips and the events).")
    for kind, text in (("vflutter", "Ventricular flutter / fibrillation"), ("vt", "Ventricular tachycardia"),
                       ("av_block2", "Second-degree AV block pattern"), ("svt_run", "Supraventricular runs")):
        every = ev[ev["type"] == kind]
        if not len(every):
            continue
        in_noise = every["noisy"].astype(bool).to_numpy() if "noisy" in every else np.zeros(len(every), bool)
        e, n_noisy = every[~in_noise], int(in_noise.sum())
        noise = f"{n_noisy:,} in noisy signal, possibly artefact"
        if not len(e):
            out.append(f"{text}: none outside noisy signal ({noise}).")
            continue
        longest = e.loc[(e["end_s"] - e["start_s"]).idxmax()]
        extra = (f", longest {int(longest['n_beats'])} beats at {when(longest['start_s'])}" if kind in ("vt", "svt_run")
                 else f", first at {when(e['start_s'].min())}")
        count = _counted(e, "run" if kind in ("vt", "svt_run") else "episode")
        out.append(f"{text}: {count}{extra}" + (f"; {noise}" if n_noisy else "") + ".")
    pauses = ev[ev["type"] == "pause"]
    long = pauses[(pauses["end_s"] - pauses["start_s"]) >= 3.0]
    if len(long):
        k = (long["end_s"] - long["start_s"]).idxmax()
        length = long.loc[k, "end_s"] - long.loc[k, "start_s"]
        out.append(f"Pauses of 3 s or more: {_counted(long)}, the longest {length:.1f} s at "
                   f"{when(long.loc[k, 'start_s'])}.")
    return out
