"""Model weights: reading a weights file safely, with errors that say what to do, and the device
the networks run on (shared by the beat and the rhythm classifier)."""
from __future__ import annotations

import copy
from pathlib import Path

import torch

from .errors import ModelError


def load_weights(path: Path, what: str, retrain: str):
    """``torch.load`` of ``path`` with ``weights_only=True`` (no code runs from the file).

    ``what`` names the model in messages ("beat classifier"), ``retrain`` the
    command that rebuilds it ("make train"). A missing, truncated or foreign
    file raises :class:`ModelError`.
    """
    path = Path(path)
    if not path.exists():
        raise ModelError(f"{what} weights not found at {path}; run `{retrain}` or give the path of a weights file")
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # torch raises many types for a bad file: truncated zip, pickled objects ...
        raise ModelError(f"{path} is not a readable {what} weights file (corrupt or truncated?): "
                         f"{type(e).__name__}; reinstall it or run `{retrain}`") from None


#: Share of a GPU's free memory that one batch may take.
GPU_MEMORY_SHARE = 0.25


def inference_device(device=None) -> torch.device:
    """``device`` as a torch.device; by default the GPU when torch sees one, else the CPU."""
    if device is None:
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


def batch_size(device: torch.device, bytes_per_item: int, per_thread: int) -> int:
    """Items per batch on ``device``: on a CPU, ``per_thread`` times torch's thread count; on a GPU,
    :data:`GPU_MEMORY_SHARE` of its free memory over ``bytes_per_item`` (at least the CPU's batch)."""
    floor = per_thread * torch.get_num_threads()
    if device.type != "cuda":
        return floor
    free, _ = torch.cuda.mem_get_info(device)
    return max(floor, int(free * GPU_MEMORY_SHARE) // max(1, bytes_per_item))


def on_device(model: torch.nn.Module, device: torch.device) -> torch.nn.Module:
    """``model`` itself on the CPU, else an eval-mode copy on ``device`` (the caller's model stays where it is:
    adaptation and explanations read it on the CPU)."""
    if device.type == "cpu":
        return model
    return copy.deepcopy(model).to(device).eval()
