"""Rhythm analysis: sinus, atrial fibrillation/flutter and other rhythms from RR intervals.

``RhythmClassifier.load().predict(peaks, fs)`` gives the rhythm episodes of a
record; ``af_burden`` the share of time in AF; :mod:`.incremental` keeps the beat
probabilities between corrections, so that relabelling a beat reruns the model only
around it.  Imported lazily so that
``import ecg_lstm`` does not load torch.
"""

import lazy_loader

# Names load on first use (scientific-python's lazy_loader), so importing the package is cheap.
__getattr__, __dir__, __all__ = lazy_loader.attach(__name__, submod_attrs={
    "predict": ["RhythmClassifier", "af_burden", "episodes_to_wfdb"],
})
