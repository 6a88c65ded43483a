"""Cleaning and resampling (ecg_lstm.signal.filters): what the band-pass removes and keeps,
zero phase, and the index mapping between the internal rate and the record's."""
import numpy as np
import pytest

from ecg_lstm.signal.filters import INTERNAL_FS, ecg_clean, resample, to_record_samples


def _amplitude(x, fs, f):
    """Amplitude of the f-Hz sinusoid in x (projection on a whole number of periods)."""
    t = np.arange(x.size) / fs
    return 2 * abs(np.mean(x * np.exp(-2j * np.pi * f * t)))


@pytest.mark.parametrize("fs", [250.0, 360.0, 500.0])
def test_clean_removes_wander_and_mains_keeps_qrs_band(fs):
    """0.1 Hz baseline wander goes (< 1 % left) and a 10 Hz component, in the QRS band, stays
    (within 5 %). Mains (50 / 60 Hz) is damped as the documented filter predicts: a 4th-order
    Butterworth low-pass at 40 Hz run forward and backward, |H(f)|^2 = 1 / (1 + (f / 40)^8):
    to 14 % at 50 Hz and 4 % at 60 Hz (10 % margin). 20 s: whole periods of every component."""
    t = np.arange(int(20 * fs)) / fs
    parts = {0.1: 2.0, 10.0: 1.0, 50.0: 0.5, 60.0: 0.5}
    x = sum(a * np.sin(2 * np.pi * f * t + f) for f, a in parts.items())
    y = ecg_clean(x, fs)
    mid = slice(int(5 * fs), int(15 * fs))  # away from the edges the zero-phase filter pads
    assert _amplitude(y[mid], fs, 10.0) == pytest.approx(1.0, rel=0.05)
    assert _amplitude(y[mid], fs, 0.1) < 0.01 * parts[0.1]
    for f in (50.0, 60.0):
        expected = parts[f] / (1 + (f / 40.0) ** 8)
        assert _amplitude(y[mid], fs, f) < 1.1 * expected, f
    assert _amplitude(y[mid], fs, 60.0) < 0.05 * parts[60.0]
    assert abs(np.mean(y[mid])) < 0.05  # no offset left either


def test_clean_removes_a_dc_offset():
    fs = 360.0
    t = np.arange(int(20 * fs)) / fs
    x = 100.0 + np.sin(2 * np.pi * 10 * t)
    y = ecg_clean(x, fs)
    assert abs(np.mean(y[int(5 * fs):int(15 * fs)])) < 0.01


@pytest.mark.parametrize("fs", [250.0, 360.0])
def test_clean_is_zero_phase(fs):
    """A symmetric QRS-like pulse keeps its peak where it was, and stays symmetric: no delay."""
    n = int(10 * fs)
    c = n // 2
    x = np.exp(-0.5 * ((np.arange(n) - c) / (0.015 * fs)) ** 2)
    y = ecg_clean(x, fs)
    assert int(np.argmax(y)) == c
    k = int(0.3 * fs)
    np.testing.assert_allclose(y[c - k:c], y[c + 1:c + k + 1][::-1], atol=1e-6 * np.abs(y).max())


def test_clean_keeps_shape_and_input():
    x = np.random.default_rng(0).normal(size=3600)
    before = x.copy()
    y = ecg_clean(x, 360.0)
    assert y.shape == x.shape and y.dtype == np.float64
    assert np.array_equal(x, before)


def test_clean_none_is_a_copy_and_unknown_method_refused():
    x = np.arange(10.0)
    y = ecg_clean(x, 360.0, method="none")
    assert np.array_equal(x, y) and y is not x
    y[0] = 99
    assert x[0] == 0
    with pytest.raises(ValueError, match="unknown method"):
        ecg_clean(x, 360.0, method="wavelet")


@pytest.mark.parametrize("fs", [128.0, 250.0, 500.0, 1000.0])
def test_resample_length_and_content(fs):
    """Output length follows the rate ratio, and a 5 Hz sine is the same sine at the new times."""
    t = np.arange(int(10 * fs)) / fs
    y = resample(np.sin(2 * np.pi * 5 * t), fs)
    assert abs(y.size - 10 * INTERNAL_FS) <= 1
    t2 = np.arange(y.size) / INTERNAL_FS
    mid = slice(int(INTERNAL_FS), y.size - int(INTERNAL_FS))
    np.testing.assert_allclose(y[mid], np.sin(2 * np.pi * 5 * t2[mid]), atol=0.01)


def test_resample_same_rate_is_a_copy():
    x = np.arange(100.0)
    y = resample(x, INTERNAL_FS)
    assert np.array_equal(x, y) and y is not x


@pytest.mark.parametrize("fs", [100.0, 128.0, 250.0, 500.0, 1000.0, 2000.0])
def test_to_record_samples_round_trip_is_exact(fs):
    """Samples of the coarser of the two grids, moved to the finer one (rounded), map back to the
    very same samples: a record sample through 360 Hz when fs <= 360, an internal sample through
    the record's rate when fs > 360."""
    k = np.arange(0, 2_000_000, 7)
    coarse, fine = (fs, INTERNAL_FS) if fs <= INTERNAL_FS else (INTERNAL_FS, fs)
    on_fine = to_record_samples(k, coarse, fine)
    np.testing.assert_array_equal(on_fine, np.rint(k * fine / coarse))
    back = to_record_samples(on_fine, fine, coarse)
    assert back.dtype == np.int64
    np.testing.assert_array_equal(back, k)


@pytest.mark.parametrize("fs", [250.0, 500.0])
def test_peak_found_after_resampling_maps_back_to_its_sample(fs):
    """A pulse at record sample p, resampled to 360 Hz, has its maximum mapped back to p (+-1)."""
    n = int(10 * fs)
    p = 1234
    x = np.exp(-0.5 * ((np.arange(n) - p) / (0.01 * fs)) ** 2)
    y = resample(x, fs)
    back = to_record_samples(np.array([np.argmax(y)]), INTERNAL_FS, fs)
    assert abs(int(back[0]) - p) <= 1


def test_to_record_samples_clips_to_the_record():
    out = to_record_samples(np.array([-3, 0, 359, 400]), 360.0, 360.0, n_samples=380)
    assert out.tolist() == [0, 0, 359, 379]
