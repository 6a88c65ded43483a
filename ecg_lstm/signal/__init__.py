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

import lazy_loader

# Names load on first use (scientific-python's lazy_loader), so importing the package is cheap.
__getattr__, __dir__, __all__ = lazy_loader.attach(__name__, submod_attrs={
    "filters": ["ecg_clean", "resample"],
    "peaks": ["METHODS", "ecg_peaks"],
    "quality": ["noisy_share_pct", "signal_quality"],
    "checks": ["check_fs"],
    "ventricular_flutter": ["ventricular_flutter_segments"],
    "spans": ["bridge_gaps", "long_runs", "runs"],
})
