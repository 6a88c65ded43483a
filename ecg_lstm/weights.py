"""Reading a model weights file safely, with errors that say what to do."""
from __future__ import annotations

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
