"""One ECG lead as a signal: filtering, R-peak detection, signal quality, ventricular flutter.

    from ecg_lstm.signal import ecg_clean, ecg_peaks, signal_quality
    clean = ecg_clean(ecg, fs)                 # 0.5-40 Hz, zero phase, same length
    peaks, info = ecg_peaks(ecg, fs)           # R-wave sample numbers at fs
    quality = signal_quality(ecg, fs, peaks)   # one row per 10-s window

One public function per step, NeuroKit2-style: :mod:`.filters`, :mod:`.peaks` (the detector
of :mod:`.qrs_detector`, or a peer toolkit's, by ``method=``), :mod:`.quality`,
:mod:`.ventricular_flutter`; :mod:`.checks` validates input once at these entry points and
:mod:`.spans` holds the run and gap helpers later stages share. Imports :mod:`ecg_lstm.io`
only (for the sampling-rate range). Names load on first use: ``import ecg_lstm`` stays light.
"""
import importlib

_NAMES = {"ecg_clean": ".filters", "resample": ".filters", "ecg_peaks": ".peaks", "METHODS": ".peaks",
          "signal_quality": ".quality", "noisy_share_pct": ".quality", "check_fs": ".checks",
          "ventricular_flutter_segments": ".ventricular_flutter",
          "runs": ".spans", "long_runs": ".spans", "bridge_gaps": ".spans"}
__all__ = sorted(_NAMES)


def __getattr__(name: str):
    if name in _NAMES:
        return getattr(importlib.import_module(_NAMES[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
