"""Reader behaviour that the analysis depends on: damaged references, gaps, lead choice."""
import numpy as np
import pytest

from tests import hostile_corpus as hc
from ecg_lstm import errors
from ecg_lstm.analyze import analyze_record, reference_beat_samples
from ecg_lstm.io.read import read_record


def _record(tmp_path, atr: bytes | None, **kw):
    files = hc.wfdb_files()
    if atr is not None:
        files["r.atr"] = atr
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    return read_record(tmp_path / "r", **kw)


def test_reference_beats_from_a_sound_atr(tmp_path):
    rec = _record(tmp_path, hc.atr_bytes(hc.BEATS))
    assert list(reference_beat_samples(rec)) == list(hc.BEATS)


@pytest.mark.parametrize("cut", [0, 6, 13, 21])
def test_truncated_atr_opens_the_record_but_refuses_reference_beats(tmp_path, cut):
    full = hc.atr_bytes(hc.BEATS)
    rec = _record(tmp_path, full[:cut])
    assert rec.annotations is None and rec.n_samples == hc.N
    assert "r.atr" in rec.metadata["annotation_error"]
    with pytest.raises(errors.RecordError, match="no usable reference annotations.*r.atr.*damaged"):
        reference_beat_samples(rec)


def test_atr_without_beats_refuses_reference_beats(tmp_path):
    rec = _record(tmp_path, b"\0\0")
    assert rec.annotations is not None and len(rec.annotations.sample) == 0
    with pytest.raises(errors.RecordError, match="no beat annotations"):
        reference_beat_samples(rec)
    rec = _record(tmp_path, hc.atr_bytes([100, 400], symbols="+"))  # rhythm notes only
    with pytest.raises(errors.RecordError, match="no beat annotations"):
        reference_beat_samples(rec)


def _csv(tmp_path, x, name):
    t = np.arange(len(x)) / hc.FS
    path = tmp_path / name
    lines = ["time,MLII"] + [f"{a:.6f}," + ("" if np.isnan(v) else f"{v:.4f}") for a, v in zip(t, x)]
    path.write_text("\n".join(lines) + "\n")
    return read_record(path)


def test_every_7th_cell_empty_keeps_every_beat_and_counts_as_missing(tmp_path):
    x = hc._tiled(60 * hc.FS)[:, 0] / hc.GAIN
    full = analyze_record(_csv(tmp_path, x, "full.csv"), classifier=None, rhythm=None)
    holed = x.copy()
    holed[::7] = np.nan
    rec = _csv(tmp_path, holed, "gaps.csv")
    assert rec.metadata["nan_fraction"] == [pytest.approx(1 / 7, abs=1e-3)]
    res = analyze_record(rec, classifier=None, rhythm=None)
    assert len(full.beats) == 72 and len(res.beats) == len(full.beats)
    assert np.abs(res.beats["sample"].to_numpy() - full.beats["sample"].to_numpy()).max() <= 2
    out = res.to_json_dict()
    assert out["missing_share_pct"] == pytest.approx(100 / 7, abs=0.1) and out["noisy_share_pct"] == 100.0
    assert full.to_json_dict()["missing_share_pct"] == 0.0


def test_a_long_gap_still_hides_its_beats(tmp_path):
    x = hc._tiled(60 * hc.FS)[:, 0] / hc.GAIN
    x[3600:7200] = np.nan  # 10 s missing
    res = analyze_record(_csv(tmp_path, x, "long.csv"), classifier=None, rhythm=None)
    s = res.beats["sample"].to_numpy()
    assert not ((s >= 3600) & (s < 7200)).any() and len(s) >= 55


def test_lead_choice_reaches_the_reader(tmp_path):
    d = hc.DIGITAL.copy()
    d[:, 0] = -32768  # MLII all missing
    for name, data in hc.wfdb_files(d=d).items():
        (tmp_path / name).write_bytes(data)
    with pytest.raises(errors.SignalQualityError, match="MLII holds no valid samples"):
        read_record(tmp_path / "r")
    rec = read_record(tmp_path / "r", lead="V5")
    assert rec.metadata["lead"] == "V5" and rec.metadata["nan_fraction"] == [1.0, 0.0]
    res = analyze_record(rec, lead="V5", classifier=None, rhythm=None)
    assert res.lead_index == 1 and len(res.beats) >= 10
