"""Events as a reviewer meets them: decisions (accepted / rejected) kept by event id, a summary
per type, an hourly table, and what a live monitor alarms on."""
from __future__ import annotations

import numpy as np
import pandas as pd

from .rules import ALARM_TYPES, COLUMNS, EVENT_TYPES

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


def event_groups(events: pd.DataFrame) -> pd.DataFrame:
    """One row per event type: count, in noisy signal, alarming, first and last start (s), total duration (s).

    Ordered as :data:`EVENT_TYPES`, so 8,000 PVCs are one row, not 8,000."""
    cols = ["type", "count", "noisy", "alarm", "first_s", "last_s", "total_s"]
    if events is None or not len(events):
        return pd.DataFrame(columns=cols)
    ev = events.assign(dur=events["end_s"] - events["start_s"])
    g = ev.groupby("type", sort=False).agg(count=("type", "size"), noisy=("noisy", "sum"), alarm=("alarm", "sum"),
                                           first_s=("start_s", "min"), last_s=("start_s", "max"),
                                           total_s=("dur", "sum")).reset_index()
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
    """The events a monitor alarms on: ``alarm`` true (not noisy, an alarm type) and not rejected."""
    if events is None or not len(events):
        return pd.DataFrame(columns=COLUMNS)
    ev = with_decisions(events, decisions) if decisions else events
    if "alarm" not in ev:  # an events table from before the flag: alarm types only
        return ev[ev["type"].isin(ALARM_TYPES)]
    return ev[ev["alarm"].astype(bool)]
