"""Alarms a person can act on: only VT past its limits, pauses of 3 s or more and ventricular
flutter alarm, never in noise; events of one type grouped into episodes; and a stretch gets the
same alarms whether it is analysed alone or inside a longer record."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ecg_lstm.findings.events import EventRules, alarming, detect_events, event_groups
from ecg_lstm.findings.events.episodes import EPISODE_COLUMNS, alarm_flags, episode_numbers, event_episodes

FS = 360


def _beats(rr_s, labels=None, start=100):
    samples = start + np.round(np.concatenate([[0.0], np.cumsum(rr_s)]) * FS).astype(np.int64)
    return pd.DataFrame({"sample": samples, "label": list(labels) if labels else "N"})


def test_only_what_a_monitor_alarms_on_alarms():
    rules = EventRules()
    # VT: 4 beats at 133 bpm are listed, not alarmed; 5 beats alarm.
    for n, alarm in ((4, False), (rules.alarm_vt_beats, True)):
        ev = detect_events(_beats([0.8] * 10 + [0.45] * n + [0.8] * 10, "N" * 11 + "V" * n + "N" * 10), FS)
        vt = ev[ev["type"] == "vt"]
        assert len(vt) == 1 and vt["alarm"].tolist() == [alarm]
    # Pauses: 2.5 s is a pause to list, 3.2 s one to alarm on.
    ev = detect_events(_beats([0.8] * 10 + [2.5] + [0.8] * 10 + [3.2] + [0.8] * 10), FS)
    p = ev[ev["type"] == "pause"]
    assert p["alarm"].tolist() == [False, True]
    assert (p["end_s"] - p["start_s"]).round(1).tolist() == [2.5, 3.2]
    # Supraventricular runs, rate episodes and AF are reviewed, not alarmed.
    ev = detect_events(_beats([0.8] * 10 + [0.35] * 6 + [1.4] * 20 + [0.8] * 10, "N" * 11 + "S" * 6 + "N" * 30), FS,
                       rhythm_episodes=pd.DataFrame({"label": ["AFIB"], "start_sample": [100 + 40 * FS],
                                                     "end_sample": [100 + 50 * FS]}))
    assert {"svt_run", "bradycardia", "afib"} <= set(ev["type"]) and not ev["alarm"].any()
    # The flags are the events' own: the same from the table alone.
    assert alarm_flags(ev).tolist() == ev["alarm"].tolist()


def test_events_of_one_type_form_episodes():
    start = np.array([0.0, 10.0, 30.0, 200.0, 205.0, 50.0, 1000.0])
    ev = pd.DataFrame({"type": ["pause"] * 5 + ["svt_run"] * 2, "start_s": start, "end_s": start + [3.5, 2.2, 2.1, 2.4,
                                                                                                     4.0, 1.0, 1.0],
                       "n_beats": [2] * 5 + [4, 4], "noisy": False})
    ev["alarm"] = alarm_flags(ev)
    assert episode_numbers(ev).tolist() == [0, 0, 0, 1, 1, 0, 1]
    assert episode_numbers(ev, gap_s=15).tolist() == [0, 0, 1, 2, 2, 0, 1]
    ep = event_episodes(ev)
    assert list(ep.columns) == EPISODE_COLUMNS
    pauses = ep[ep["type"] == "pause"].reset_index(drop=True)
    assert pauses["n_events"].tolist() == [3, 2] and pauses["n_alarm"].tolist() == [1, 1]
    assert pauses["first_alarm_s"].tolist() == [0.0, 205.0] and pauses["longest_s"].tolist() == [3.5, 4.0]
    g = event_groups(ev).set_index("type")
    assert g.loc["pause", "count"] == 5 and g.loc["pause", "episodes"] == 2 and g.loc["pause", "alarm_episodes"] == 2
    assert g.loc["svt_run", "episodes"] == 2 and g.loc["svt_run", "alarm"] == 0
    # A table of an older analysis that alarmed on every pause alarms on the long ones only now;
    # a rejected event never alarms.
    old = ev.assign(alarm=True)
    assert alarming(old)["start_s"].tolist() == [0.0, 205.0]
    assert alarming(old.assign(decision=["rejected"] + [""] * 6))["start_s"].tolist() == [205.0]


def _clean_stretch(mitdb_dir, seconds):
    wfdb = pytest.importorskip("wfdb")
    r = wfdb.rdrecord(str(mitdb_dir / "100"), channels=[0], sampto=int(FS * (seconds + 10)))
    return r.p_signal[:, 0]


def test_a_stretch_gets_the_same_alarms_alone_and_inside_a_longer_record(mitdb_dir):
    from ecg_lstm.signal.peaks import ecg_peaks
    from ecg_lstm.signal.quality import signal_quality

    x = _clean_stretch(mitdb_dir, 120)
    n_before = int(5.5 * FS)  # 5.5 s of other signal before the stretch: the 10-s grid cuts it elsewhere
    beats_x = ecg_peaks(x, FS)[0]  # the beats, found before the noise is added
    stretch = x[:120 * FS].copy()
    a, b = int(51.5 * FS), int(57.5 * FS)
    stretch[a:b] += 2.0 * np.random.default_rng(1).standard_normal(b - a)  # 6 s of noise
    longer = np.concatenate([x[-n_before:], stretch])
    longer_beats = np.concatenate([beats_x[beats_x >= len(x) - n_before] - (len(x) - n_before),
                                   beats_x[beats_x < len(stretch)] + n_before])

    def alarms_of_the_stretch(signal, peaks, offset, grid_only=False):
        quality = signal_quality(signal, FS, peaks)
        if grid_only:  # the verdict of the 10-s rows alone, as before the local one
            quality = quality.drop(columns=["noisy_from_sample", "noisy_to_sample"])
        # A false VT run where the noise is: six "V" beats 0.4 s apart, 53-55 s into the stretch.
        t = (peaks - offset) / FS
        beats = pd.DataFrame({"sample": peaks[(t < 52.8) | (t > 55.4)], "label": "N"})
        run = pd.DataFrame({"sample": np.round((53.0 + 0.4 * np.arange(6)) * FS).astype(np.int64) + offset,
                            "label": "V"})
        beats = pd.concat([beats, run]).sort_values("sample").reset_index(drop=True)
        ev = detect_events(beats, FS, peaks_quality=quality)
        ev = ev[ev["start_sample"] >= offset]
        return sorted(zip(ev.loc[ev["alarm"], "type"], ev.loc[ev["alarm"], "start_sample"] - offset)), ev

    alone, ev_alone = alarms_of_the_stretch(stretch, beats_x[beats_x < len(stretch)], 0)
    joined, ev_joined = alarms_of_the_stretch(longer, longer_beats, n_before)
    assert alone == joined
    assert not any(kind == "vt" for kind, _ in alone)  # the run lies in noise
    assert ev_alone.loc[ev_alone["type"] == "vt", "noisy"].all()
    assert ev_joined.loc[ev_joined["type"] == "vt", "noisy"].all()
    # On the 10-s rows alone the two verdicts differed: noisy alone (a row of 0.39 over the
    # noise), an alarm in the longer record (two rows of 0.64 and 0.65 around it).
    grid_alone, _ = alarms_of_the_stretch(stretch, beats_x[beats_x < len(stretch)], 0, grid_only=True)
    grid_joined, _ = alarms_of_the_stretch(longer, longer_beats, n_before, grid_only=True)
    assert not any(kind == "vt" for kind, _ in grid_alone) and any(kind == "vt" for kind, _ in grid_joined)


def test_105_alone_and_after_another_record_alarms_alike(mitdb_dir):
    from ecg_lstm.analyze import analyze_record
    from ecg_lstm.io.read import read_record

    def cut(name, a_s, b_s):
        rec = read_record(mitdb_dir / name)
        rec.signal = rec.signal[int(a_s * rec.fs):int(b_s * rec.fs)]
        rec.annotations = None
        return rec

    # 105 from 26:00 (noisy, with false ventricular runs), alone and after 67.78 s of 100: the
    # offset that 105 has in a day of MIT-BIH records played in turn.
    alone = cut("105", 1560, 1740)
    joined = cut("105", 1560, 1740)
    head = cut("100", 0, 67.78)
    joined.signal = np.concatenate([head.signal, joined.signal])
    out = []
    for rec, offset in ((alone, 0), (joined, len(head.signal))):
        ev = analyze_record(rec).events
        ev = ev[ev["alarm"] & (ev["start_sample"] >= offset + 10 * FS)]
        out.append(sorted(zip(ev["type"], ((ev["start_sample"] - offset) / FS).round())))
    assert out[0] == out[1]
