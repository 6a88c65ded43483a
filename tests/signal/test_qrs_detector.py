"""The default R-peak detector (ecg_lstm.signal.qrs_detector) on synthetic ECGs whose beat times
are known: every beat found, nothing else; and the flutter test of its windows."""
import numpy as np
import pytest

from ecg_lstm.signal.qrs_detector import FS, detect, flutter_windows


def _synthetic_ecg(fs, seconds=40.0, seed=0, t_beats=None):
    """Gaussian QRS spikes (1 mV, sigma 12 ms) at known times, each with a T wave (0.25 mV,
    sigma 40 ms, 250 ms later), on 0.3 Hz baseline wander and 0.01 mV noise.
    Returns (signal, beat sample numbers)."""
    rng = np.random.default_rng(seed)
    if t_beats is None:
        rr = rng.uniform(0.65, 1.1, int(seconds / 0.6))
        t_beats = 0.7 + np.concatenate([[0.0], np.cumsum(rr)])
        t_beats = t_beats[t_beats < seconds - 0.7]
    t = np.arange(int(seconds * fs)) / fs
    x = 0.1 * np.sin(2 * np.pi * 0.3 * t) + rng.normal(0, 0.01, t.size)
    k = np.arange(-int(0.2 * fs), int(0.5 * fs))  # each beat drawn over -0.2..+0.5 s only
    for tb in t_beats:
        i = round(tb * fs) + k
        i = i[(i >= 0) & (i < t.size)]
        x[i] += np.exp(-0.5 * ((t[i] - tb) / 0.012) ** 2) + 0.25 * np.exp(-0.5 * ((t[i] - tb - 0.25) / 0.04) ** 2)
    return x, np.rint(np.asarray(t_beats) * fs).astype(np.int64)


def _match(found, ref, tol):
    """Each reference beat's nearest detection distance, and the detections near no beat."""
    j = np.clip(np.searchsorted(found, ref), 1, max(found.size - 1, 1))
    near = np.minimum(np.abs(found[j] - ref), np.abs(found[j - 1] - ref)) if found.size > 1 else \
        np.abs(found[0] - ref) if found.size else np.full(ref.size, np.inf)
    k = np.clip(np.searchsorted(ref, found), 1, ref.size - 1)
    extra = np.minimum(np.abs(ref[k] - found), np.abs(ref[k - 1] - found)) > tol
    return near, found[extra]


@pytest.mark.parametrize("fs", [250.0, 360.0, 500.0])
def test_finds_every_beat_and_nothing_else(fs):
    """On a clean synthetic ECG every beat is found within 50 ms, T waves are not counted,
    and the positions are sorted record samples at the input rate."""
    x, ref = _synthetic_ecg(fs)
    peaks, info = detect(x, fs)
    tol = 0.05 * fs
    assert peaks.dtype == np.int64 and np.all(np.diff(peaks) > 0)
    assert peaks.min() >= 0 and peaks.max() < x.size
    near, extra = _match(peaks, ref, tol)
    assert np.all(near <= tol), near.max() / fs
    assert extra.size == 0, extra / fs
    assert peaks.size == ref.size
    assert info["method"] == "ecglstm" and info["fs_internal"] == FS
    assert info["noisy_segments"] == [] and info["n_dropped_noise"] == 0


def test_inverted_lead_gives_the_same_beats():
    """The R wave is placed on the dominant extremum of either polarity: -x gives the same beats."""
    fs = 360.0
    x, ref = _synthetic_ecg(fs, seed=1)
    p1, _ = detect(x, fs)
    p2, _ = detect(-x, fs)
    assert p1.size == p2.size == ref.size
    assert np.abs(p1 - p2).max() <= 0.01 * fs


def test_fast_regular_rhythm_all_beats():
    """150 bpm (RR 0.4 s, above the 0.2 s refractory and the 0.36 s T-wave window) is all found."""
    fs = 360.0
    t_beats = np.arange(0.7, 29.3, 0.4)
    x, ref = _synthetic_ecg(fs, seconds=30.0, t_beats=t_beats)
    peaks, _ = detect(x, fs)
    near, extra = _match(peaks, ref, 0.05 * fs)
    assert peaks.size == ref.size and np.all(near <= 0.05 * fs) and extra.size == 0


def test_longer_than_a_chunk_no_double_beats_at_chunk_edges():
    """A record over the 10-min chunk is cut in overlapping chunks: beats near the cut are
    found once. 250 Hz, 11 min."""
    fs = 250.0
    x, ref = _synthetic_ecg(fs, seconds=660.0, seed=2)
    peaks, _ = detect(x, fs)
    near, extra = _match(peaks, ref, 0.05 * fs)
    assert peaks.size == ref.size and np.all(near <= 0.05 * fs) and extra.size == 0


def test_flat_or_empty_signal_gives_no_beats():
    fs = 360.0
    peaks, info = detect(np.zeros(int(10 * fs)), fs)
    assert peaks.size == 0 and info["n_dropped_noise"] == 0


@pytest.mark.parametrize("seed", range(10))
def test_gaussian_noise_is_not_ecg(seed):
    """Pure Gaussian noise has no spiky QRS (local kurtosis ~3 < 4): away from the record's
    ends (2 s), no beat is reported, and most of the record is reported as noisy segments."""
    fs = 360.0
    x = np.random.default_rng(seed).normal(0, 0.2, int(30 * fs))
    peaks, info = detect(x, fs)
    assert not np.any((peaks > 2 * fs) & (peaks < x.size - 2 * fs)), peaks / fs
    assert sum(b - a for a, b in info["noisy_segments"]) > 0.8 * x.size


@pytest.mark.xfail(strict=True, reason="the band-pass filter's edge transient inflates the local kurtosis "
                                       "in the first and last ~1.5 s, so noise there passes as beats")
def test_gaussian_noise_gives_no_beats_at_the_record_ends():
    """Noise is noise at the ends of a record too: no beat in pure Gaussian noise, anywhere.
    (Seeds 3 and 8 give 3 and 11 'beats' within 1.7 s of an end, none inside.)"""
    fs = 360.0
    found = {}
    for seed in (3, 8):
        x = np.random.default_rng(seed).normal(0, 0.2, int(30 * fs))
        found[seed] = detect(x, fs)[0].tolist()
    assert all(not p for p in found.values()), found


# -- flutter_windows: the 4-s flutter test ----------------------------------------------------------

def _windows_args(x, fs, centres_s):
    """Arguments as the detector passes them: 3 s read each side, 2 s at 360 Hz kept each side."""
    at = np.rint(np.asarray(centres_s) * fs).astype(np.int64)
    return x, fs, at, int(3.0 * fs), int(2.0 * FS)


@pytest.mark.parametrize("fs", [250.0, 360.0])
def test_flutter_windows_flag_a_sinusoid_of_about_4_hz(fs):
    """A sinusoid-like 4 Hz wave (ventricular flutter: no isoelectric line, no power above
    12 Hz, most of it at 2-7 Hz) is flagged in every window."""
    t = np.arange(int(20 * fs)) / fs
    x = 1.5 * np.sin(2 * np.pi * 4.2 * t) + 0.2 * np.sin(2 * np.pi * 3.1 * t + 1)
    out = flutter_windows(*_windows_args(x, fs, [4.0, 8.0, 12.5, 16.0]))
    assert out.dtype == bool and out.shape == (4,)
    assert out.all()


@pytest.mark.parametrize("fs", [250.0, 360.0])
def test_flutter_windows_pass_separate_qrs_complexes(fs):
    """Separate QRS spikes with an isoelectric line between them, even fast (RR 0.3 s), are not
    flutter: the line is flat most of the time and the spikes carry power above 12 Hz."""
    x, _ = _synthetic_ecg(fs, seconds=20.0, t_beats=np.arange(0.5, 19.5, 0.3))
    out = flutter_windows(*_windows_args(x, fs, [4.0, 8.0, 12.5, 16.0]))
    assert not out.any()


def test_flutter_windows_pass_a_fast_wave_outside_2_7_hz():
    """A 10 Hz sinusoid has no isoelectric line but its power is not at 2-7 Hz: not flutter."""
    fs = 360.0
    t = np.arange(int(20 * fs)) / fs
    out = flutter_windows(*_windows_args(np.sin(2 * np.pi * 10 * t), fs, [5.0, 10.0]))
    assert not out.any()


def test_flutter_episode_beats_dropped_and_reported():
    """ECG, then 12 s of 4 Hz flutter, then ECG: no beat is reported inside the flutter, which
    is reported as a noisy segment; the beats well outside it are all found."""
    fs = 360.0
    ecg1, ref1 = _synthetic_ecg(fs, seconds=20.0, seed=4)
    ecg2, ref2 = _synthetic_ecg(fs, seconds=20.0, seed=5)
    t = np.arange(int(12 * fs)) / fs
    flutter = 1.2 * np.sin(2 * np.pi * 4.0 * t)
    x = np.concatenate([ecg1, flutter, ecg2])
    a, b = ecg1.size, ecg1.size + flutter.size
    peaks, info = detect(x, fs)
    assert not np.any((peaks > a + fs) & (peaks < b - fs)), peaks[(peaks > a) & (peaks < b)] / fs
    assert any(s <= a + 2 * fs and e >= b - 2 * fs for s, e in info["noisy_segments"]), info["noisy_segments"]
    ref = np.concatenate([ref1, ref2 + b])
    far = ref[(ref < a - 2 * fs) | (ref > b + 2 * fs)]
    near, _ = _match(peaks, far, 0.05 * fs)
    assert np.all(near <= 0.05 * fs)
