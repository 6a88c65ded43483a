"""Events as a person acts on them: which ones alarm (:func:`alarm_flags`), and consecutive events
of one type merged into episodes (:func:`episode_numbers`, :func:`event_episodes`), so that 150
supraventricular runs read "150 in 12 episodes" and a monitor alarms once per episode.

An episode is a chain of events of one type, each starting at most ``EventRules.episode_gap_s``
(60 s) after the end of the one before.  Both depend only on the events themselves (their type,
times, beats and the noise flag), so a stretch gets the same alarms and episodes whether it is
opened alone or inside a longer record.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .rules import ALARM_TYPES, EventRules

EPISODE_COLUMNS = ["type", "episode", "start_s", "end_s", "n_events", "n_alarm", "n_noisy", "longest_s",
                   "first_alarm_s"]


def alarm_flags(events: pd.DataFrame, rules: EventRules | None = None) -> np.ndarray:
    """Whether a monitor alarms on each event: an :data:`ALARM_TYPES` event past its limit
    (VT of ``alarm_vt_beats`` beats at ``alarm_vt_bpm`` or faster, a pause of ``alarm_pause_s``
    or longer, any ventricular flutter / fibrillation), not in noisy signal."""
    rules = rules or EventRules()
    if events is None or not len(events):
        return np.zeros(0, bool)
    kind = events["type"].astype(str).to_numpy()
    span = (events["end_s"] - events["start_s"]).to_numpy(float)
    n = events["n_beats"].to_numpy(float) if "n_beats" in events else np.zeros(len(events))
    with np.errstate(divide="ignore", invalid="ignore"):
        bpm = np.where(span > 0, 60.0 * (n - 1) / np.where(span > 0, span, 1.0), 0.0)
    past = np.where(kind == "vt", (n >= rules.alarm_vt_beats) & (bpm >= rules.alarm_vt_bpm),
                    np.where(kind == "pause", span >= rules.alarm_pause_s - 1e-9, kind == "vflutter"))
    noisy = events["noisy"].to_numpy(bool) if "noisy" in events else np.zeros(len(events), bool)
    return np.isin(kind, list(ALARM_TYPES)) & past & ~noisy


def episode_numbers(events: pd.DataFrame, gap_s: float | None = None) -> np.ndarray:
    """The episode of each event (0, 1, ... in time order within its type; see the module)."""
    gap_s = EventRules().episode_gap_s if gap_s is None else float(gap_s)
    out = np.zeros(len(events) if events is not None else 0, np.int64)
    if events is None or not len(events):
        return out
    kind = events["type"].astype(str).to_numpy()
    start, end = events["start_s"].to_numpy(float), events["end_s"].to_numpy(float)
    for t in pd.unique(kind):
        idx = np.flatnonzero(kind == t)
        idx = idx[np.lexsort((end[idx], start[idx]))]
        reach = np.maximum.accumulate(end[idx])  # an event inside a long one belongs to it
        new = np.concatenate([[False], start[idx][1:] - reach[:-1] > gap_s])
        out[idx] = np.cumsum(new)
    return out


def event_episodes(events: pd.DataFrame | None, gap_s: float | None = None) -> pd.DataFrame:
    """One row per episode: type, episode (number within the type), start_s, end_s, n_events,
    n_alarm (events that alarm), n_noisy, longest_s (the longest event), first_alarm_s (the
    first alarming event's start, NaN if none); ordered by start."""
    if events is None or not len(events):
        return pd.DataFrame(columns=EPISODE_COLUMNS)
    ev = events.assign(episode=episode_numbers(events, gap_s), dur=events["end_s"] - events["start_s"],
                       alarm_=events["alarm"].astype(bool) if "alarm" in events else False,
                       noisy_=events["noisy"].astype(bool) if "noisy" in events else False)
    ev["alarm_at"] = ev["start_s"].where(ev["alarm_"])
    g = ev.groupby(["type", "episode"], sort=False).agg(
        start_s=("start_s", "min"), end_s=("end_s", "max"), n_events=("type", "size"), n_alarm=("alarm_", "sum"),
        n_noisy=("noisy_", "sum"), longest_s=("dur", "max"), first_alarm_s=("alarm_at", "min")).reset_index()
    g[["n_events", "n_alarm", "n_noisy"]] = g[["n_events", "n_alarm", "n_noisy"]].astype(np.int64)
    return g[EPISODE_COLUMNS].sort_values(["start_s", "type"], kind="stable").reset_index(drop=True)


def alarm_words(rules: EventRules | None = None) -> dict[str, tuple[str, str]]:
    """What each alarm type alarms on, in words with the limits of ``rules``: (one, several)."""
    rules = rules or EventRules()
    vt = f" of {rules.alarm_vt_beats} beats or more at {rules.alarm_vt_bpm:.0f} bpm or faster"
    return {"vt": ("VT run" + vt, "VT runs" + vt),
            "pause": (f"pause of {rules.alarm_pause_s:g} s or more", f"pauses of {rules.alarm_pause_s:g} s or more"),
            "vflutter": ("ventricular flutter / fibrillation", "ventricular flutter / fibrillation episodes")}


def alarm_summary(events: pd.DataFrame | None, when=None, rules: EventRules | None = None) -> str:
    """The alarms in one sentence: "Alarms: 32 pauses of 3 s or more in 3 episodes (the longest
    5.9 s at 0:17:31); no VT run ..., no ventricular flutter / fibrillation." ``events``: with the
    ``alarm`` flags the page uses (rejected events already off); ``when``: seconds -> the time
    written (default ``h:mm:ss`` from the start)."""
    words = alarm_words(rules)
    when = when or (lambda t: f"{int(t) // 3600}:{int(t) % 3600 // 60:02d}:{int(t) % 60:02d}")
    has = events is not None and len(events) and "alarm" in events
    al = events[events["alarm"].astype(bool)] if has else None
    parts, quiet = [], []
    for kind, (one, several) in words.items():
        e = al[al["type"] == kind] if al is not None else ()
        if not len(e):
            quiet.append("no " + one)
            continue
        k = len(set(episode_numbers(e).tolist()))
        span = (e["end_s"] - e["start_s"]).to_numpy(float)
        j = int(np.argmax(span))
        size = f"{span[j]:.1f} s" if kind != "vt" else f"{int(e['n_beats'].iloc[j])} beats"
        where = f"{size} at {when(float(e['start_s'].iloc[j]))}"
        parts.append(f"{len(e):,} {several if len(e) > 1 else one}"
                     + (f" in {k:,} episode{'s' if k > 1 else ''}" if k < len(e) else "")
                     + (f" (the longest {where})" if len(e) > 1 else f" ({where})"))
    if not parts:
        return "No alarm: " + ", ".join(quiet) + " outside noisy signal."
    return "Alarms: " + "; ".join(parts) + (f"; {', '.join(quiet)}." if quiet else ".")
