"""Events a clinician can trust: noise marks, sure VT, no PACs in AF, flutter and block
events, review decisions, groups and the hourly table; the dashboard's review of events."""
from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ecg_lstm.findings.events import (
    ALARM_TYPES,
    alarming,
    detect_events,
    event_groups,
    event_ids,
    hourly_summary,
    with_decisions,
)
from ecg_lstm.signal.ventricular_flutter import ventricular_flutter_segments

FS = 360


def beats(labels, rr_s=0.8, start=100, p_v=None):
    rr = np.broadcast_to(np.asarray(rr_s, float), (max(len(labels) - 1, 0),))
    samples = start + np.round(np.concatenate([[0.0], np.cumsum(rr)]) * FS).astype(np.int64)
    b = pd.DataFrame({"sample": samples[:len(labels)], "label": list(labels)})
    if p_v is not None:
        b["p_V"] = p_v
    return b


def test_events_in_noise_are_marked_and_raise_no_alarm():
    b = beats("N" * 20 + "VVVVV" + "N" * 20 + "VVVVV" + "N" * 20, rr_s=0.5)
    s = b["sample"].to_numpy()
    q = pd.DataFrame({"start_sample": [s[18]], "end_sample": [s[27]], "noisy": [True]})
    ev = detect_events(b, FS, peaks_quality=q)
    vt = ev[ev["type"] == "vt"].reset_index(drop=True)
    assert len(vt) == 2
    assert vt["noisy"].tolist() == [True, False] and vt["alarm"].tolist() == [False, True]
    assert alarming(ev)["start_sample"].tolist() == [s[45]]
    # Isolated ectopic beats are counted, never alarmed.
    ev = detect_events(beats("NNNVNNNSNNN"), FS)
    assert not ev["alarm"].any() and set(ev["type"]) == {"pvc", "pac"}
    assert ALARM_TYPES == {"vt", "vflutter", "pause"}


def test_vt_needs_sure_ventricular_beats():
    # 208's false VT: a couplet and a doubtful "V" after it is a couplet and a PVC.
    b = beats("NNNNVVVNNNN", rr_s=0.42, p_v=[0.01] * 4 + [0.99, 0.99, 0.6] + [0.01] * 4)
    ev = detect_events(b, FS)
    assert "vt" not in set(ev["type"])
    assert sorted(ev["type"]) == ["couplet", "pvc"] and ev["n_beats"].sum() == 3
    # Three sure beats make the whole run VT, a doubtful one inside included.
    b = beats("NNNNVVVVVNNNN", rr_s=0.42, p_v=[0.01] * 4 + [0.99, 0.5, 0.99, 0.99, 0.99] + [0.01] * 4)
    ev = detect_events(b, FS)
    assert list(ev["type"]) == ["vt"] and ev["n_beats"][0] == 5
    # Without probabilities the labels are taken as given.
    assert list(detect_events(beats("NNNNVVVNNNN", rr_s=0.42), FS)["type"]) == ["vt"]


def test_no_supraventricular_events_inside_af():
    b = beats("NNNSNNNSSNNNSSSNN" * 4, rr_s=0.5)
    s = b["sample"].to_numpy()
    eps = pd.DataFrame({"label": ["N", "AFIB"], "start_sample": [0, s[34]], "end_sample": [s[34], s[-1] + 10]})
    ev = detect_events(b, FS, rhythm_episodes=eps)
    sv = ev[ev["type"].isin(["pac", "sv_couplet", "svt_run"])]
    assert len(sv) == 6 and (sv["end_sample"] < s[34]).all()  # the first two repeats only
    assert (ev["type"] == "afib").sum() == 1


def test_second_degree_block_pattern():
    rr = [0.8] * 20 + [0.8, 0.8, 1.6] * 6 + [0.8] * 20  # every third P wave not conducted
    b = beats("N" * (len(rr) + 1), rr_s=rr)
    blk = detect_events(b, FS)
    blk = blk[blk["type"] == "av_block2"].reset_index(drop=True)
    assert len(blk) == 1 and "6 dropped beats" in blk["description"][0] and not blk["alarm"][0]  # reviewed, not alarmed
    # Sinus arrhythmia (+-15 %) and single long intervals are no block.
    rng = np.random.default_rng(0)
    ev = detect_events(beats("N" * 200, rr_s=0.8 * (1 + 0.15 * rng.uniform(-1, 1, 199))), FS)
    assert "av_block2" not in set(ev["type"])
    ev = detect_events(beats("N" * 40, rr_s=[0.8] * 20 + [1.6] + [0.8] * 18), FS)
    assert "av_block2" not in set(ev["type"])


def test_flutter_segments_on_a_synthetic_sinusoid():
    fs = 250.0
    t = np.arange(int(60 * fs)) / fs
    ecg = np.sin(2 * np.pi * 1.2 * t) ** 40 * 1.2  # a spike train at 72 bpm
    a, b = int(20 * fs), int(35 * fs)
    ecg[a:b] = 0.8 * np.sin(2 * np.pi * 4.0 * t[a:b])  # 240/min flutter waves, no QRS
    peaks = np.flatnonzero(np.diff(np.sign(np.diff(ecg))) < 0) + 1
    peaks = peaks[ecg[peaks] > 1.0]
    seg = ventricular_flutter_segments(ecg, fs, peaks)
    assert len(seg) == 1
    assert abs(seg[0][0] / fs - 20) < 3 and abs(seg[0][1] / fs - 35) < 3
    assert ventricular_flutter_segments(np.sin(2 * np.pi * 1.2 * t) ** 40, fs, peaks) == []
    ev = detect_events(pd.DataFrame({"sample": peaks, "label": "N"}), fs, flutter_segments=seg)
    vf = ev[ev["type"] == "vflutter"]
    assert len(vf) == 1 and vf["alarm"].all()


def test_decisions_groups_and_hourly_table():
    b = beats("NNVNNNNVVNNNSN" * 350, rr_s=0.85)  # 69 min
    ev = detect_events(b, FS)
    ids = event_ids(ev)
    assert len(set(ids)) == len(ids)
    reviewed = with_decisions(ev, {ids[0]: "rejected", ids[1]: "accepted"})
    assert reviewed["decision"][:3].tolist() == ["rejected", "accepted", ""]
    g = event_groups(ev)
    assert g["type"].tolist() == ["pvc", "couplet", "pac"] and g["count"].sum() == len(ev)
    h = hourly_summary(ev, b["sample"].iloc[-1] / FS)
    assert list(h.index) == ["0:00", "1:00"] and h.to_numpy().sum() == len(ev)
    assert h.loc["1:00"].sum() == (ev["start_s"] >= 3600).sum() > 0
    # A rejected alarm is silenced.
    vt = detect_events(beats("N" * 10 + "VVVVV" + "N" * 10, rr_s=0.45), FS)
    assert len(alarming(vt)) == 1 and len(alarming(vt, {event_ids(vt)[0]: "rejected"})) == 0


# --- MIT-BIH -------------------------------------------------------------------------------------

@functools.lru_cache(maxsize=4)
def _analysis(mitdb_dir, name, seconds, reference_beats=False, start_s=0):
    from ecg_lstm.analyze import analyze_record
    from ecg_lstm.io.read import read_record

    rec = read_record(mitdb_dir / name)
    a, b = int(start_s * rec.fs), int((start_s + seconds) * rec.fs)
    rec.signal = rec.signal[a:b]
    if rec.annotations is not None:
        keep = (rec.annotations.sample >= a) & (rec.annotations.sample < b)
        rec.annotations = type(rec.annotations)(rec.annotations.sample[keep] - a, rec.annotations.symbol[keep],
                                                [x for x, k in zip(rec.annotations.aux_note, keep) if k])
    return analyze_record(rec, reference_beats=reference_beats)


@pytest.mark.parametrize("reference_beats", [False, True])
def test_207_ventricular_flutter_found_with_either_beats(mitdb_dir, reference_beats):
    # 207's first flutter episode (reference "(VFL" from about 4:02 to 4:21): a 2-min cut around it.
    a = _analysis(mitdb_dir, "207", 120, reference_beats, start_s=180)
    vf = a.events[a.events["type"] == "vflutter"]
    assert len(vf) >= 1 and vf["alarm"].all()
    assert (vf["start_s"] < 75).any() and (vf["end_s"] > 60).any()  # overlaps 4:02-4:21 (62-81 s into the cut)


def test_208_couplets_are_not_vt(mitdb_dir):
    # 208 from 16:50 to 18:50: couplets followed by normal beats, no reference run of three V beats.
    a = _analysis(mitdb_dir, "208", 120, start_s=1010)
    assert (a.events["type"] == "vt").sum() == 0
    assert (a.events["type"] == "couplet").sum() >= 3


# --- Dashboard -----------------------------------------------------------------------------------

def _cut(src: Path, name: str, out: Path, seconds: int = 120) -> Path:
    wfdb = pytest.importorskip("wfdb")
    rec = wfdb.rdrecord(str(src / name), sampto=int(360 * seconds), physical=False)
    rec.record_name = f"c{name}"
    rec.file_name = [f"c{name}.dat"] * rec.n_sig
    rec.wrsamp(write_dir=str(out))
    return out / f"c{name}"


def test_dashboard_accept_reject_and_filter(monkeypatch, mitdb_dir, tmp_path):
    pytest.importorskip("streamlit")
    from streamlit.testing.v1 import AppTest

    stem = _cut(mitdb_dir, "208", tmp_path)
    monkeypatch.setenv("ECG_DATA_DIR", str(tmp_path))
    at = AppTest.from_file(str(Path(__file__).resolve().parents[2] / "dashboard" / "app.py"), default_timeout=90)
    at.run()
    files = [(f"{stem.name}.{e}", Path(f"{stem}.{e}").read_bytes(), "application/octet-stream") for e in ("hea", "dat")]
    at.file_uploader(key="upload").set_value(files)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    a = at.session_state["analysis"]
    types = a.events["type"].value_counts()
    assert len(types) >= 2, types
    at.session_state["main_tabs"] = "Events"
    at.run()
    assert not at.exception
    table = at.dataframe(key="events_table").value
    assert len(table) == len(a.events)
    # Filter by type: only that type's rows, and the jump times follow the filtered rows.
    kind = types.index[-1]
    at.multiselect(key="events_filter").set_value([kind])
    at.run()
    table = at.dataframe(key="events_table").value
    assert len(table) == types[kind] and set(table["type"]) == {kind}
    assert len(at.session_state["events_table_times"]) == types[kind]
    # Select the first row, reject it, then accept it; the decision is kept for this record.
    at.session_state["events_table"] = {"selection": {"rows": [0], "columns": [], "cells": []}}
    at.run()
    at.button(key="event_reject").click()
    at.run()
    assert not at.exception
    key = at.session_state["analysis_key"]
    book = at.session_state["event_decisions"][key]
    first = a.events[a.events["type"] == kind].sort_values("start_s", kind="stable").iloc[0]
    eid = f"{first['type']}@{first['start_sample']}-{first['end_sample']}"
    assert book == {eid: "rejected"}
    assert at.dataframe(key="events_table").value["decision"].iloc[0] == "✗ rejected"
    at.button(key="event_accept").click()
    at.run()
    assert at.session_state["event_decisions"][key] == {eid: "accepted"}
    # The summary counts it, and the export carries it.
    groups = next(d.value for d in at.dataframe if "accepted" in d.value.columns)
    assert int(groups.loc[groups["type"] == kind, "accepted"].iloc[0]) == 1
    from dashboard.sections import export

    at.session_state["main_tabs"] = "Export"
    at.run()
    assert not at.exception
    from ecg_lstm.findings.events import with_decisions as wd

    csv = export.events_csv(wd(a.events, {eid: "accepted"})).decode()
    assert "decision" in csv.splitlines()[0] and csv.count(",accepted") == 1


def _af_like(flutter: bool, seed=0, fs=250.0, dur=60.0):
    """An ECG with irregular narrow beats and, between them, 5-Hz sawtooth flutter waves or
    fibrillatory noise; the RR is irregular in both, so only the atrial activity tells them apart."""
    rng = np.random.default_rng(seed)
    n = int(dur * fs)
    t = np.arange(n) / fs
    rr = rng.uniform(0.45, 0.95, 200)
    r = (np.cumsum(rr) * fs).astype(int)
    r = r[(r > fs) & (r < n - fs)]
    x = np.zeros(n)
    qrs = np.exp(-0.5 * (np.arange(-12, 13) / 3.0) ** 2) * 1.5
    for i in r:
        x[i - 12:i + 13] += qrs
    if flutter:
        x += 0.15 * (2 * ((t * 5.0) % 1.0) - 1)  # sawtooth at 300/min
    else:
        from scipy import signal as sps

        f = sps.sosfiltfilt(sps.butter(2, [4, 9], btype="bandpass", fs=fs, output="sos"), rng.normal(0, 1, n))
        x += 0.15 * f / f.std()
    return x, r, fs


def test_atrial_flutter_split_from_af_episodes():
    from ecg_lstm.findings.atrial_flutter import atrial_activity, split_atrial_flutter

    for flutter in (True, False):
        x, r, fs = _af_like(flutter)
        eps = pd.DataFrame({"label": ["AFIB"], "start_sample": [0], "end_sample": [len(x)],
                            "start_s": [0.0], "end_s": [len(x) / fs], "confidence": [0.9]})
        out = split_atrial_flutter(eps, x, fs, r)
        assert list(out.columns) == list(eps.columns)
        if flutter:
            daf, org = atrial_activity(x[:int(10 * fs)], fs, r[r < 10 * fs])
            assert abs(daf - 5.0) < 0.3 and org > 0.55
            assert "AFL" in set(out["label"])
            afl = out[out["label"] == "AFL"]
            assert (afl["end_sample"] - afl["start_sample"]).sum() >= 0.8 * len(x) - 10 * fs
            ev = detect_events(pd.DataFrame({"sample": r, "label": "N"}), fs, rhythm_episodes=out)
            assert "aflutter" in set(ev["type"])
        else:
            assert list(out["label"]) == ["AFIB"] and out["end_sample"][0] == len(x)
    # A regular ventricular response inside an "AF" episode is flutter with fixed conduction.
    r = np.arange(250, 60 * 250 - 250, 100)  # 150 bpm, perfectly regular
    eps = pd.DataFrame({"label": ["N", "AFIB"], "start_sample": [0, 250], "end_sample": [250, 15000]})
    out = split_atrial_flutter(eps, np.zeros(15000), 250.0, r)
    assert out["label"].tolist() == ["N", "AFL"]
