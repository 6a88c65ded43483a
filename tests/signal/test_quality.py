"""Signal quality: clean ECG scores high, noise and flat line are flagged noisy."""
import numpy as np
import pytest

from ecg_lstm.errors import SamplingRateError, SignalQualityError
from ecg_lstm.signal.peaks import ecg_peaks
from ecg_lstm.signal.quality import COLUMNS, signal_quality


def _record(mitdb_dir, rec, seconds):
    wfdb = pytest.importorskip("wfdb")
    r = wfdb.rdrecord(str(mitdb_dir / rec), channels=[0], sampto=int(seconds * 360))
    return r.p_signal[:, 0], float(r.fs)


def test_columns_and_windows(mitdb_dir):
    x, fs = _record(mitdb_dir, "100", 65)
    q = signal_quality(x, fs)
    assert list(q.columns) == COLUMNS
    assert len(q) == 7 and q["end_sample"].iloc[-1] == x.size
    assert q["start_sample"].iloc[1] == int(10 * fs)
    assert q["quality"].between(0, 1).all()


def test_clean_record_is_good(mitdb_dir):
    x, fs = _record(mitdb_dir, "100", 120)
    peaks, _ = ecg_peaks(x, fs)
    q = signal_quality(x, fs, peaks)
    assert (~q["noisy"]).all()
    assert q["quality"].median() > 0.7


def test_noise_and_flat_are_noisy(mitdb_dir):
    x, fs = _record(mitdb_dir, "100", 60)
    rng = np.random.default_rng(0)
    y = x.copy()
    y[20 * 360:40 * 360] = rng.standard_normal(20 * 360)  # windows 2-3: noise
    y[40 * 360:50 * 360] = 0.0  # window 4: lead off
    q = signal_quality(y, fs)
    assert q["noisy"].tolist() == [False, False, True, True, True, False]
    assert q["quality"].iloc[4] == 0.0


def test_saturation_is_noisy():
    fs = 360
    t = np.arange(30 * fs) / fs
    x = np.clip(5 * np.sin(2 * np.pi * 1.2 * t), -1, 1)  # clipped amplifier
    assert signal_quality(x, fs)["noisy"].all()


def test_bad_input():
    with pytest.raises(SamplingRateError):
        signal_quality(np.zeros(1000), -1)
    with pytest.raises(SignalQualityError):
        signal_quality(np.full(5000, np.nan), 360)


@pytest.mark.parametrize("name", ["105", "203"])
def test_shifted_windows_scored_as_one_by_one(mitdb_dir, name):
    """The local verdict's windows, one hop apart, share their Welch segments and cell moments: their
    quality equals scoring each window on its own (noisy 105, irregular 203; with and without beats)."""
    from ecg_lstm.io.read import read_record
    from ecg_lstm.signal import quality
    from ecg_lstm.signal.filters import ecg_clean

    rec = read_record(mitdb_dir / name)
    raw = rec.signal[:120000, 0].astype(np.float64)
    clean = ecg_clean(raw, rec.fs)
    hop, n = 360, 3600
    starts = np.arange(0, len(raw) - n, hop)
    starts = starts[np.r_[0:40, 100:140, len(starts) - 30:len(starts)]]  # sparse, as the rows near noise
    idx = starts[:, None] + np.arange(n)[None, :]
    for counts in (None, np.arange(len(starts)) % 30):
        one_by_one = quality._windows_quality(raw[idx], clean[idx], rec.fs, counts)
        shared = quality._shifted_quality(raw, clean, starts, n, hop, rec.fs, counts)
        np.testing.assert_allclose(shared, one_by_one, atol=1e-9)
    assert one_by_one.min() < 1.0  # not only clean windows
