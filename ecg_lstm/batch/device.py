"""Running the beat classifier's networks on a GPU inside a batch worker.

``sequence_logits`` (classifier/predict.py) builds its index and accumulator
tensors on the CPU. Rather than change it, each network is wrapped so that its
two heavy calls, the per-beat CNN (``embed``) and the LSTM (``sequence``), run on
the GPU and hand back CPU tensors: the rest of the code is untouched, and only
the beat windows and the small embeddings cross the bus.
"""
from __future__ import annotations

import copy

import torch
from torch import nn

from ..classifier.model import BeatEnsemble


class _OnDevice(nn.Module):
    def __init__(self, net: nn.Module, device: torch.device):
        super().__init__()
        self.net, self.device, self.cfg = net.to(device), device, net.cfg

    @torch.inference_mode()
    def embed(self, w: torch.Tensor, rr: torch.Tensor) -> torch.Tensor:
        return self.net.embed(w.to(self.device, non_blocking=True), rr.to(self.device, non_blocking=True)).cpu()

    @torch.inference_mode()
    def sequence(self, z: torch.Tensor) -> torch.Tensor:
        return self.net.sequence(z.to(self.device, non_blocking=True)).float().cpu()


def beat_classifier_on(clf, device: str):
    """A copy of ``clf`` (a BeatClassifier) whose networks run on ``device`` (e.g. "cuda")."""
    dev = torch.device(device)
    out = copy.copy(clf)
    model = copy.deepcopy(clf.model)
    if isinstance(model, BeatEnsemble):
        model.members = nn.ModuleList(_OnDevice(m, dev) for m in model.members)
    else:
        model = _OnDevice(model, dev)
    out.model = model.eval()
    return out
