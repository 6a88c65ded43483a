"""The beat classifier: a CNN + BiLSTM over 64-beat windows, trained on DS1.

- :mod:`.features` (beat windows and RR / morphology features), :mod:`.model` (the network),
  :mod:`.predict` (``BeatClassifier``: load the shipped weights, label a record's beats),
  :mod:`.runtime` (batched inference of the networks on long records, CPU or GPU);
- :mod:`.templates`, :mod:`.template_rules`, :mod:`.adapt` (``RecordAdapter``: per-record
  adaptation, with or without a reviewer's labels);
- :mod:`.dataset`, :mod:`.reviewed_beats`, :mod:`.train` (one process, or DDP under torchrun).

Names load on first use, so that ``import ecg_lstm`` and an analysis without the classifier
do not import torch.
"""

import lazy_loader

# Names load on first use (scientific-python's lazy_loader), so importing the package is cheap.
__getattr__, __dir__, __all__ = lazy_loader.attach(__name__, submod_attrs={
    "predict": ["BeatClassifier"],
    "adapt": ["AdaptConfig", "RecordAdapter"],
    "train": ["TrainConfig", "train"],
})
