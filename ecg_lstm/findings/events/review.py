"""Events as a reviewer meets them: decisions (accepted / rejected) kept by event id, a summary
per type (with its episodes), an hourly table, and what a live monitor alarms on."""
from __future__ import annotations

import numpy as np
import pandas as pd

from .episodes import alarm_flags, episode_numbers
from .rules import COLUMNS, EVENT_TYPES

DECISIONS = ("", "accepted", "rejected")


def event_ids(events: pd.DataFrame) -> list[str]:
    """A stable id per event (``type@start-end`` in samples): decisions survive a rerun."""
    return [f"{t}@{a}-{b}" for t, a, b in zip(events["type"].astype(str), events["start_sample"], events["end_sample"])]


def with_decisions(events: pd.DataFrame, decisions: dict[str, str] | None) -> pd.DataFrame:
    """``events`` with an ``id`` and a ``decision`` column from ``{id: "accepted"|"rejected"}``.

    A rejected event raises no alarm."""
    out = events.copy()
    out["id"] = event_ids(out)
    decisions = decisions or {}
    out["decision"] = [decisions.get(i, "") for i in out["id"]]
    if "alarm" in out:
        out["alarm"] = out["alarm"].astype(bool) & (out["decision"] != "rejected")
    return out


def alarms(events: pd.DataFrame) -> np.ndarray:
    """Whether each event alarms now: by the current rules (:func:`alarm_flags`), and not turned
    off in the table (``alarm`` false: rejected by the reviewer, or an older analysis that did
    not alarm on it)."""
    if events is None or not len(events):
        return np.zeros(0, bool)
    flags = alarm_flags(events)
    if "alarm" in events:
        flags &= events["alarm"].fillna(False).to_numpy(bool)
    if "decision" in events:
        flags &= events["decision"].fillna("").astype(str).to_numpy() != "rejected"
    return flags


def event_groups(events: pd.DataFrame) -> pd.DataFrame:
    """One row per event type: count, in noisy signal, alarming, first and last start (s), total
    duration (s), episodes (:func:`~ecg_lstm.findings.events.episodes.episode_numbers`: events of
    the type at most a minute apart), alarm_episodes (the alarming events' own episodes: what a
    monitor that alarms once per episode would sound).

    Ordered as :data:`EVENT_TYPES`, so 8,000 PVCs are one row, not 8,000."""
    cols = ["type", "count", "noisy", "alarm", "first_s", "last_s", "total_s", "episodes", "alarm_episodes"]
    if events is None or not len(events):
        return pd.DataFrame(columns=cols)
    ev = events.assign(dur=events["end_s"] - events["start_s"], alarm=alarms(events),
                       episode=episode_numbers(events))
    ev["alarm_episode"] = np.nan
    ev.loc[ev["alarm"], "alarm_episode"] = episode_numbers(ev[ev["alarm"]])
    g = ev.groupby("type", sort=False).agg(count=("type", "size"), noisy=("noisy", "sum"), alarm=("alarm", "sum"),
                                           first_s=("start_s", "min"), last_s=("start_s", "max"),
                                           total_s=("dur", "sum"), episodes=("episode", "nunique"),
                                           alarm_episodes=("alarm_episode", "nunique")).reset_index()
    order = {t: k for k, t in enumerate(EVENT_TYPES)}
    g = g.sort_values("type", key=lambda s: s.map(lambda t: order.get(t, len(order))), kind="stable")
    return g[cols].reset_index(drop=True)


def hourly_summary(events: pd.DataFrame, duration_s: float) -> pd.DataFrame:
    """Event counts per hour of the record (rows: hour ``"h:00"``; columns: event types), as Holter
    reports tabulate them.  An event counts in the hour where it starts; every hour of the
    record has a row, also when empty."""
    n_hours = max(1, int(np.ceil(float(duration_s) / 3600.0)))
    hours = [f"{h}:00" for h in range(n_hours)]
    if events is None or not len(events):
        return pd.DataFrame(index=pd.Index(hours, name="hour"))
    h = np.clip((events["start_s"].to_numpy(float) // 3600).astype(int), 0, n_hours - 1)
    tab = pd.crosstab(pd.Categorical(np.asarray(hours)[h], categories=hours), events["type"].astype(str),
                      dropna=False)
    order = [t for t in EVENT_TYPES if t in tab.columns] + [t for t in tab.columns if t not in EVENT_TYPES]
    tab = tab[order]
    tab.index.name, tab.columns.name = "hour", None
    return tab


def alarming(events: pd.DataFrame | None, decisions: dict[str, str] | None = None) -> pd.DataFrame:
    """The events a monitor alarms on (:func:`alarms`: past an alarm limit, not in noisy signal,
    not rejected)."""
    if events is None or not len(events):
        return pd.DataFrame(columns=COLUMNS)
    ev = with_decisions(events, decisions) if decisions else events
    return ev[alarms(ev)]
