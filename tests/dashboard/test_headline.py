"""What the page says first (dashboard.sections.headline): the rhythm in words, the longest pause,
the heart-rate range with the times of its extremes, AF and ectopic burden and the alarms, in
clock time when the record has a start time; the S labels' warning that goes once the reviewer
has corrected them (dashboard.sections.overview); alarms and episodes in the events tab
(dashboard.sections.events) and the live banner (dashboard.sections.live). No MIT-BIH needed."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("streamlit")

from dashboard.sections import events as events_section  # noqa: E402
from dashboard.sections import live, overview  # noqa: E402
from dashboard.sections.headline import counted, headline_of  # noqa: E402
from dashboard.time_format import clock_time  # noqa: E402
from ecg_lstm.analyze import Analysis  # noqa: E402
from ecg_lstm.findings.events import detect_events  # noqa: E402
from ecg_lstm.findings.vitals import ecg_vitals  # noqa: E402
from ecg_lstm.io.record import Record  # noqa: E402

FS = 250.0


def _analysis(start_time: str | None = "08:00:00") -> Analysis:
    """20 min of sinus rhythm at 60 bpm, slowing to 40 bpm for 1.5 min, with a 4.5-s pause at 10:00
    and a 2.5-s one at 15:00; a run of 3 S beats at 3:20."""
    rr = np.full(1200, 1.0)
    rr[300:360] = 1.5
    t = np.concatenate([[1.0], 1.0 + np.cumsum(rr)])
    t = t[t < 1190]
    t = np.sort(np.concatenate([t[t < 600], t[t >= 600] + 3.5]))
    t = np.sort(np.concatenate([t[t < 900], t[t >= 900] + 1.5]))
    k = np.searchsorted(t, 200.0)
    t = np.concatenate([t[:k], t[k - 1] + [0.3, 0.5, 0.7], t[k:]])  # three early S beats
    labels = np.array(["N"] * len(t), dtype=object)
    labels[k:k + 3] = "S"
    samples = np.round(t * FS).astype(np.int64)
    beats = pd.DataFrame({"sample": samples, "time_s": samples / FS, "label": labels})
    rec = Record("h", np.zeros((int(1200 * FS), 1), np.float32), FS, ["MLII"], ["mV"],
                 metadata={"base_time": start_time} if start_time else {})
    vitals = ecg_vitals(samples, FS, labels=labels)
    quality = pd.DataFrame({"start_sample": [0], "end_sample": [int(1200 * FS)], "start_s": [0.0], "end_s": [1200.0],
                            "quality": [1.0], "noisy": [False]})
    episodes = pd.DataFrame({"label": ["N"], "start_sample": [0], "end_sample": [int(1200 * FS)], "start_s": [0.0],
                             "end_s": [1200.0], "confidence": [0.9]})
    ev = detect_events(beats, FS, rhythm_episodes=episodes, peaks_quality=quality)
    return Analysis(rec, 0, "detected", beats, vitals, quality, ev, episodes)


def test_the_page_says_what_matters_first_in_clock_time():
    a = _analysis()
    top = headline_of(a)
    assert top["rhythm"][0].startswith("Sinus rhythm throughout with 1 episode of sinus bradycardia")
    facts = " · ".join(top["facts"])
    assert "Longest pause 4.5 s at 08:09:5" in facts
    assert "HR 40–60 bpm (lowest at 08:0" in facts and "highest at 08:" in facts
    assert "AF burden 0.0 %" in facts and "Ectopy: V 0.0 % (0 beats), S " in facts
    assert top["alarms"].startswith("Alarms: 1 pause of 3 s or more (4.5 s at 08:09:5")
    # Without a start time: h:mm:ss from the start, never a count of seconds.
    plain = headline_of(_analysis(None))
    assert "Longest pause 4.5 s at 0:09:5" in " · ".join(plain["facts"])
    assert clock_time(_analysis(None).record, 43377) == "12:02:57"
    assert clock_time(a.record, 43377) == "20:02:57" and clock_time(a.record, 86400 + 5) == "day 2 08:00:05"
    # The reviewer rejects the long pause: it is no longer the longest, nor an alarm.
    pause = a.events[a.events["type"] == "pause"].sort_values("start_s")
    pid = f"pause@{pause['start_sample'].iloc[0]}-{pause['end_sample'].iloc[0]}"
    top = headline_of(a, {pid: "rejected"})
    assert "Longest pause 2.5 s at 08:14:5" in " · ".join(top["facts"]) and top["alarms"].startswith("No alarm")
    assert len(counted(a.events, {pid: "rejected"})) == len(a.events) - 1


def test_the_s_label_warning_follows_the_review():
    facts = {"beat": {"end to end (detected beats)": {"VEB Se": 92.3, "SVEB +P": 28.0}}}
    beats = pd.DataFrame({"label": ["N", "S", "S", "S"]})
    assert overview.s_label_check(beats, adapted_to_review=False) == ""  # nothing reviewed: warn
    assert "(DS2: 28 %): check them." in overview.s_warning(facts, "detected", False, "")
    beats["reviewed"] = [False, True, False, False]
    check = overview.s_label_check(beats, adapted_to_review=False)
    assert check == "2 S labels not reviewed"
    assert "check them (2 S labels not reviewed)." in overview.s_warning(facts, "detected", False, check)
    beats["reviewed"] = [False, True, True, True]  # every S label reviewed (a template relabelled)
    assert overview.s_label_check(beats, adapted_to_review=False) is None
    beats["reviewed"] = [True, False, False, False]  # Adapt: the rest relabelled from the reviewed beats
    assert overview.s_label_check(beats, adapted_to_review=True) is None
    assert overview.s_warning(facts, "detected", False, None) is None
    assert "check them" not in overview.ds2_line(facts, "detected", s_check=None)
    # Where the S labels are right more often than not, there is nothing to warn of.
    assert overview.s_warning({"beat": {"end to end (detected beats)": {"SVEB +P": 80.0}}}, "detected", False, "") \
        is None


def test_events_tab_and_live_banner_name_alarms_and_episodes():
    a = _analysis()
    base = a.events.sort_values("start_s").reset_index(drop=True)
    base = base.assign(id=[f"{t}@{s}-{e}" for t, s, e in zip(base["type"], base["start_sample"], base["end_sample"])])
    assert events_section.alarm_line(base, {}, a.record).startswith("Alarms: 1 pause of 3 s or more (4.5 s at 08:09:5")
    pid = base.loc[base["type"] == "pause", "id"].iloc[0]
    assert events_section.alarm_line(base, {pid: "rejected"}).startswith("No alarm")
    shown = events_section.table(base.assign(episode=0), a.record)
    assert shown["start"].iloc[0].startswith("08:") and {"episode", "alarm"} <= set(shown.columns)
    assert shown.loc[(base["type"] == "pause").to_numpy(), "alarm"].tolist() == ["alarm", ""]
    m = live.monitor_state(a, cursor=604.0)
    assert m["alarms"] == ["pause"] and m["names"] == ["Pause 4.5 s"]
    assert live.monitor_state(a, cursor=604.0, decisions={pid: "rejected"})["alarms"] == []
    assert live.alarm_name({"type": "vt", "start_s": 0.0, "end_s": 2.0, "n_beats": 6}) == "VT 6 beats 150 bpm"
