"""Beats from several leads (``ecg_lstm.signal.lead_fusion``): a beat seen on any two leads
counts, one lead alone neither invents nor loses beats, and one- or two-lead records are
detected as before."""
from __future__ import annotations

import numpy as np
import pytest

from ecg_lstm.signal.lead_fusion import fuse, fusion_leads


def test_two_leads_make_a_beat():
    fs = 360.0
    a = np.array([100, 460, 820, 1180])       # the classifier's lead: 460 is a spike, 1540 missed
    b = np.array([104, 825, 1183, 1541])
    c = np.array([98, 818, 1178, 1545, 3000])  # 3000: noise on one lead only
    out = fuse([a, b, c], fs)
    assert list(out) == [100, 820, 1180, 1543]  # on lead a where it saw the beat, else the median


def test_tolerance_keeps_close_beats_apart():
    fs = 250.0
    # Two beats 200 ms apart (a couplet) on both leads: two beats, not one.
    out = fuse([np.array([1000, 1050]), np.array([1002, 1052])], fs)
    assert list(out) == [1000, 1050]


@pytest.mark.parametrize("names, expected", [
    (["MLII", "V5"], ["MLII"]),                                   # two leads: the classifier's alone
    (["II", "V1", "V5", "Resp"], ["II", "V5", "V1"]),             # Holter channels, respiration left out
    (["I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6"], ["II", "V5", "V1"]),
])
def test_which_leads(names, expected):
    units = ["mV"] * len(names)
    primary = names.index(expected[0])
    assert [names[i] for i in fusion_leads(names, units, primary)] == expected


def test_twelve_lead_record_detects_the_same_beats_despite_a_noisy_lead(mitdb_dir):
    """A 12-lead record made from MIT-BIH 100 (leads as mixtures of its two): the fused beats are
    the single-lead beats, and a lead drowned in noise changes nothing."""
    import wfdb

    from ecg_lstm.analyze import analyze_record
    from ecg_lstm.io.record import Record

    rec = wfdb.rdrecord(str(mitdb_dir / "100"), sampto=360 * 60)
    x = rec.p_signal
    names = ["I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6"]
    mix = np.array([[0.6, 0.2], [1, 0], [0.4, -0.2], [-0.8, -0.1], [0.1, 0.3], [0.7, -0.1],
                    [0.1, 1], [0.2, 0.9], [0.4, 0.6], [0.6, 0.4], [0.8, 0.2], [0.9, 0.1]])
    sig = x @ mix.T
    noisy = sig.copy()
    noisy[:, names.index("V5")] += np.random.default_rng(0).normal(0, 0.5, len(sig))
    one = analyze_record(Record("t", x[:, :1], 360.0, ["MLII"], ["mV"]), classifier=None, rhythm=None)
    for s in (sig, noisy):
        many = analyze_record(Record("t", s, 360.0, names, ["mV"] * 12), classifier=None, rhythm=None)
        assert many.record.lead_names[many.lead_index] == "II"
        assert "II, V5, V1" in many.model["beat_detection"]
        ref = one.beats["sample"].to_numpy()
        got = many.beats["sample"].to_numpy()
        near = np.abs(got[:, None] - ref[None, :]).min(axis=1) <= 0.05 * 360
        assert near.all() and abs(len(got) - len(ref)) <= 1
