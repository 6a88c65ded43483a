"""R-peak detection: accuracy on real records, invariances, synthetic beats, bad input."""
import numpy as np
import pytest
from scipy.signal import resample_poly

from ecg_lstm.errors import ECGError, SamplingRateError, SignalQualityError
from ecg_lstm.signal.peaks import ecg_peaks

BEATS = set("NLRBAaJSVrFejnE/fQ?")


def _load(mitdb_dir, rec, seconds=None):
    wfdb = pytest.importorskip("wfdb")
    n = None if seconds is None else int(seconds * 360)
    r = wfdb.rdrecord(str(mitdb_dir / rec), channels=[0], sampto=n)
    a = wfdb.rdann(str(mitdb_dir / rec), "atr", sampto=n)
    ref = np.array([s for s, y in zip(a.sample, a.symbol) if y in BEATS], dtype=np.int64)
    return r.p_signal[:, 0], float(r.fs), ref


def _se_pp(ref, test, fs, n):
    """Sensitivity and positive predictivity (%), 150-ms window, 0.5-s edges left out."""
    lo, hi = int(0.5 * fs), n - int(0.5 * fs)
    ref, test = ref[(ref >= lo) & (ref < hi)], test[(test >= lo) & (test < hi)]
    w = int(0.15 * fs)
    # greedy one-to-one matching in time order
    j, tp = 0, 0
    used = np.zeros(test.size, bool)
    for r in ref:
        while j < test.size and test[j] < r - w:
            j += 1
        k = j
        while k < test.size and test[k] <= r + w and used[k]:
            k += 1
        if k < test.size and abs(test[k] - r) <= w and not used[k]:
            used[k] = True
            tp += 1
    return 100 * tp / max(1, ref.size), 100 * tp / max(1, test.size)


@pytest.mark.parametrize("rec,seconds,bound", [("100", None, 99.9), ("105", 300, 99.5), ("208", None, 99.3),
                                               ("203", 300, 98.0)])
def test_real_records(mitdb_dir, rec, seconds, bound):
    x, fs, ref = _load(mitdb_dir, rec, seconds)
    peaks, info = ecg_peaks(x, fs)
    se, pp = _se_pp(ref, peaks, fs, x.size)
    assert se >= bound and pp >= bound, (se, pp)
    assert info["method"] == "ecglstm"
    assert peaks.dtype == np.int64 and np.all(np.diff(peaks) > 0)


def test_big_p_waves_not_counted(mitdb_dir):
    """Record 108's last 145 s: P waves about as big as the QRS, 0.2 s before it."""
    wfdb = pytest.importorskip("wfdb")
    a0 = 1660 * 360
    x = wfdb.rdrecord(str(mitdb_dir / "108"), channels=[0], sampfrom=a0).p_signal[:, 0]
    a = wfdb.rdann(str(mitdb_dir / "108"), "atr", sampfrom=a0)
    ref = np.array([s - a0 for s, y in zip(a.sample, a.symbol) if y in BEATS], dtype=np.int64)
    ref = ref[(ref >= 0) & (ref < x.size)]
    peaks, _ = ecg_peaks(x, 360.0)
    se, pp = _se_pp(ref, peaks, 360.0, x.size)
    assert se >= 94.0 and pp >= 88.0, (se, pp)  # +P was 75 when each P wave counted as a beat


def test_inverted_lead_same_peaks(mitdb_dir):
    x, fs, _ = _load(mitdb_dir, "208", 300)
    p1, _ = ecg_peaks(x, fs)
    p2, _ = ecg_peaks(-x, fs)
    assert abs(p1.size - p2.size) <= 2
    j = np.clip(np.searchsorted(p2, p1), 1, p2.size - 1)
    d = np.minimum(np.abs(p2[j] - p1), np.abs(p2[j - 1] - p1))
    assert np.mean(d <= 3) > 0.99


@pytest.mark.parametrize("fs_out", [128, 1000])
def test_other_sampling_rates(mitdb_dir, fs_out):
    x, fs, ref = _load(mitdb_dir, "100", 300)
    up, down = {128: (16, 45), 1000: (25, 9)}[fs_out]
    y = resample_poly(x, up, down)
    peaks, _ = ecg_peaks(y, fs_out)
    se, pp = _se_pp(np.rint(ref * fs_out / fs).astype(np.int64), peaks, fs_out, y.size)
    assert se >= 99.5 and pp >= 99.5, (se, pp)
    assert peaks.max() < y.size  # in the signal's own sample numbers


def _synthetic(fs, hr_bpm, seconds, rng=None):
    """Sum of Gaussians per beat (P, Q, R, S, T); returns signal and R samples."""
    t = np.arange(int(seconds * fs)) / fs
    rr = 60.0 / hr_bpm
    r_times = np.arange(0.6, seconds - 0.6, rr)
    x = np.zeros_like(t)
    for r in r_times:
        for dt, amp, width in ((-0.2, 0.15, 0.025), (-0.03, -0.1, 0.01), (0.0, 1.0, 0.012),
                               (0.03, -0.2, 0.01), (0.28, 0.3, 0.05)):
            x += amp * np.exp(-0.5 * ((t - r - dt) / width) ** 2)
    if rng is not None:
        x += 0.02 * rng.standard_normal(t.size)
    return x, np.rint(r_times * fs).astype(np.int64)


@pytest.mark.parametrize("fs,hr", [(360, 72), (250, 150), (500, 45), (128, 100)])
def test_synthetic_exact_count(fs, hr):
    x, r = _synthetic(fs, hr, 60, np.random.default_rng(0))
    peaks, _ = ecg_peaks(x, fs)
    assert peaks.size == r.size
    assert np.max(np.abs(peaks - r)) <= max(2, int(0.01 * fs))


def test_noise_and_flat_give_few_beats():
    rng = np.random.default_rng(1)
    fs = 360
    noise = rng.standard_normal(60 * fs)
    p, info = ecg_peaks(noise, fs)
    assert p.size <= 10  # vs ~100 "beats" an adaptive threshold finds in noise
    assert sum(b - a for a, b in info["noisy_segments"]) > 0.5 * noise.size
    p, _ = ecg_peaks(np.zeros(30 * fs), fs)
    assert p.size == 0


def test_bad_input():
    fs = 360
    x = np.sin(np.arange(10 * fs) / 50)
    y = x.copy()
    y[100] = np.nan
    with pytest.raises(SignalQualityError):
        ecg_peaks(y, fs)
    with pytest.raises(SignalQualityError):
        ecg_peaks(x[:100], fs)
    with pytest.raises(SamplingRateError):
        ecg_peaks(x, 0)
    with pytest.raises(SamplingRateError):
        ecg_peaks(x, float("nan"))
    with pytest.raises(ECGError):
        ecg_peaks(np.ones((3, 100)), fs)
    with pytest.raises(ValueError):
        ecg_peaks(x, fs, method="nope")
