"""Rhythm analysis: sinus, atrial fibrillation/flutter and other rhythms from RR intervals.

``RhythmClassifier.load().predict(peaks, fs)`` gives the rhythm episodes of a
record; ``af_burden`` the share of time in AF.  Imported lazily so that
``import ecg_lstm`` does not load torch.
"""

__all__ = ["RhythmClassifier", "af_burden", "episodes_to_wfdb"]


def __getattr__(name):
    if name in __all__:
        from . import predict

        return getattr(predict, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
