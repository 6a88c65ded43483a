"""Input checks of the signal stage (ecg_lstm.signal.checks): what each accepts, and each refusal
with its error type and a message naming the problem."""
import numpy as np
import pytest

from ecg_lstm.errors import ECGError, SamplingRateError, SignalQualityError
from ecg_lstm.io.limits import MAX_FS, MIN_FS
from ecg_lstm.signal.checks import (
    MIN_DURATION_S,
    check_fs,
    check_lead,
    check_lead_and_peaks,
)

# -- check_fs --------------------------------------------------------------------------------------

@pytest.mark.parametrize("fs,want", [(360, 360.0), ("250", 250.0), (np.float32(128.0), 128.0), (0.5, 0.5)])
def test_check_fs_accepts_positive_numbers(fs, want):
    out = check_fs(fs)
    assert isinstance(out, float) and out == want


@pytest.mark.parametrize("fs", [0, -360, float("nan"), float("inf"), "abc", None, [360]])
def test_check_fs_refuses(fs):
    """Zero, negative, non-finite or non-numeric rates are a SamplingRateError naming fs."""
    with pytest.raises(SamplingRateError, match="sampling rate"):
        check_fs(fs)


# -- check_lead_and_peaks --------------------------------------------------------------------------

def test_check_lead_and_peaks_accepts_and_converts():
    ecg, peaks = check_lead_and_peaks([0, 1, 2, 3, 4], 360.0, [0, 2, 4])
    assert ecg.dtype == np.float64 and ecg.shape == (5,)
    assert peaks.tolist() == [0, 2, 4]
    ecg, peaks = check_lead_and_peaks(np.zeros(10), 360.0, [])  # no beats is allowed
    assert peaks.size == 0


@pytest.mark.parametrize("ecg,fs,peaks,word", [
    (np.zeros((10, 2)), 360.0, [1], "1-D"),          # two leads
    (np.zeros(10), 0.0, [1], "sampling rate"),
    (np.zeros(10), float("nan"), [1], "sampling rate"),
    (np.zeros(10), -5.0, [1], "sampling rate"),
    (np.zeros(10), 360.0, [10], "inside the signal"),   # one past the end
    (np.zeros(10), 360.0, [-1, 3], "inside the signal"),
    (np.zeros(10), 360.0, [[1, 2]], "1-D array of sample numbers"),
])
def test_check_lead_and_peaks_refuses(ecg, fs, peaks, word):
    with pytest.raises(ValueError, match=word):
        check_lead_and_peaks(ecg, fs, peaks)


# -- check_lead ------------------------------------------------------------------------------------

def _lead(fs=360.0, seconds=3.0):
    return np.sin(np.arange(int(fs * seconds)) / fs * 2 * np.pi)


def test_check_lead_accepts_a_lead():
    x, fs = check_lead(_lead().astype(np.float32), "360")
    assert x.dtype == np.float32 and x.ndim == 1 and fs == 360.0  # a record's float32 lead is not copied
    x, fs = check_lead((_lead() * 100).astype(np.int16), 360)
    assert x.dtype == np.float64 and x.ndim == 1


@pytest.mark.parametrize("shape", ["column", "row"])
def test_check_lead_accepts_a_single_column_or_row(shape):
    """An (n, 1) or (1, n) array is one lead: it is flattened, not refused."""
    x = _lead()
    x2 = x[:, None] if shape == "column" else x[None, :]
    out, _ = check_lead(x2, 360.0)
    assert out.shape == x.shape and np.array_equal(out, x)


@pytest.mark.parametrize("fs", [MIN_FS, MAX_FS])
def test_check_lead_accepts_the_range_ends(fs):
    _, out = check_lead(_lead(fs), fs)
    assert out == fs


@pytest.mark.parametrize("fs", [MIN_FS - 1, MAX_FS + 1, 0.0, -360.0, float("nan"), float("inf")])
def test_check_lead_refuses_rates_outside_the_range(fs):
    """One range for the whole pipeline: the reader's MIN_FS..MAX_FS; the message gives it."""
    with pytest.raises(SamplingRateError, match=f"{MIN_FS:g}-{MAX_FS:g} Hz"):
        check_lead(np.zeros(10_000), fs)


def test_check_lead_refuses_a_non_numeric_rate():
    with pytest.raises(SamplingRateError, match="must be a number"):
        check_lead(_lead(), "fast")


@pytest.mark.parametrize("x,word", [
    (np.zeros((1080, 2)), "one ECG lead"),
    (np.zeros((2, 2, 540)), "one ECG lead"),
    (np.array(["a"] * 1080), "real numbers"),
    (np.zeros(1080, dtype=complex), "real numbers"),
])
def test_check_lead_refuses_what_is_not_one_real_lead(x, word):
    with pytest.raises(SignalQualityError, match=word):
        check_lead(x, 360.0)


def test_check_lead_refuses_a_too_short_signal():
    """Below MIN_DURATION_S the detector cannot adapt: refused, with the length in seconds."""
    fs = 360.0
    n = int(MIN_DURATION_S * fs) - 1
    with pytest.raises(SignalQualityError, match=f"at least {MIN_DURATION_S:g} s"):
        check_lead(np.zeros(n), fs)
    x, _ = check_lead(np.zeros(n + 1), fs)  # exactly MIN_DURATION_S is enough
    assert x.size == n + 1


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_check_lead_refuses_non_finite_samples(bad):
    x = _lead()
    x[100] = bad
    with pytest.raises(SignalQualityError, match="NaN or infinite"):
        check_lead(x, 360.0)


def test_every_refusal_is_an_ecg_error():
    """The CLI and dashboard show ECGError messages without a traceback: every check's error is one."""
    for call in (lambda: check_fs(-1), lambda: check_lead(np.zeros(5), 360.0), lambda: check_lead(_lead(), 5000)):
        with pytest.raises(ECGError):
            call()
