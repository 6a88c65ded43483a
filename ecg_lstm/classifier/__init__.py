"""The beat classifier: a CNN + BiLSTM over 64-beat windows, trained on DS1.

- :mod:`.features` (beat windows and RR / morphology features), :mod:`.model` (the network),
  :mod:`.predict` (``BeatClassifier``: load the shipped weights, label a record's beats);
- :mod:`.templates`, :mod:`.template_rules`, :mod:`.adapt` (``RecordAdapter``: per-record
  adaptation, with or without a reviewer's labels);
- :mod:`.dataset`, :mod:`.reviewed_beats`, :mod:`.train` (one process, or DDP under torchrun).

Names load on first use, so that ``import ecg_lstm`` and an analysis without the classifier
do not import torch.
"""
import importlib

_NAMES = {"BeatClassifier": ".predict", "RecordAdapter": ".adapt", "AdaptConfig": ".adapt",
          "TrainConfig": ".train", "train": ".train"}
__all__ = sorted(_NAMES)


def __getattr__(name: str):
    if name in _NAMES:
        return getattr(importlib.import_module(_NAMES[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
