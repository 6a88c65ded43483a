"""Bidirectional LSTM over an RR window, with window statistics beside its state."""
from __future__ import annotations

import torch
from torch import nn

from .features import SEQ_CHANNELS, WINDOW_FEATURES
from .labels import CLASSES


class RhythmLSTM(nn.Module):
    """(seq (B, T, C), feat (B, F)) -> logits (B, len(CLASSES)).

    The feature standardisation (mean, std) is a buffer, so the weights file
    alone reproduces the model.
    """

    def __init__(self, hidden: int = 32, dropout: float = 0.2,
                 n_channels: int = len(SEQ_CHANNELS), n_features: int = len(WINDOW_FEATURES),
                 n_classes: int = len(CLASSES)):
        super().__init__()
        self.register_buffer("feat_mean", torch.zeros(n_features))
        self.register_buffer("feat_std", torch.ones(n_features))
        self.lstm = nn.LSTM(n_channels, hidden, batch_first=True, bidirectional=True)
        self.head = nn.Sequential(
            nn.Linear(4 * hidden + n_features, 64), nn.ReLU(), nn.Dropout(dropout), nn.Linear(64, n_classes))

    def forward(self, seq: torch.Tensor, feat: torch.Tensor) -> torch.Tensor:
        out, _ = self.lstm(seq)
        # Mean over time and the state at the centre beat (the one being labelled).
        pooled = torch.cat([out.mean(dim=1), out[:, seq.shape[1] // 2]], dim=1)
        feat = (feat - self.feat_mean) / self.feat_std
        return self.head(torch.cat([pooled, feat], dim=1))
