"""The beat classifier network.

A small 1-D CNN encodes each beat's morphology window; its embedding, joined
with the beat's RR features, feeds a bidirectional LSTM that runs over a
sequence of consecutive beats and labels every one of them.  The LSTM sees the
rhythm around each beat (a premature beat followed by a compensatory pause,
a run of ectopics), which a per-beat classifier cannot.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, fields

import torch
from torch import nn

from .features import RR_NAMES

N_RR = len(RR_NAMES)  # the first N_RR per-beat features are RR features


@dataclass
class ModelConfig:
    window: int = 117        # samples per beat window (FeatureConfig.window)
    in_channels: int = 2     # beat, beat minus the record's median beat
    wave: str = "diff"       # which of them the CNN sees: "both", "diff" (patient-relative only), "beat"
    n_rr: int = 28           # per-beat features: 15 RR + 13 morphology-vs-template
    n_classes: int = 5
    channels: int = 8        # CNN width (8 matched 16 on validation at a quarter of the CPU time)
    emb: int = 8             # CNN embedding size: small, so the CNN cannot learn to recognise patients
    hidden: int = 32         # LSTM hidden size per direction
    layers: int = 1
    dropout: float = 0.3
    use_context: bool = True  # ablation: False replaces the LSTM by a per-beat MLP
    use_wave: bool = True     # ablation: False drops the CNN (only the per-beat features remain)
    use_rr: bool = True       # ablation: False zeroes the RR features (the morphology ones stay)

    @classmethod
    def from_dict(cls, d: dict) -> "ModelConfig":
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in names})

    def to_dict(self) -> dict:
        return asdict(self)


class BeatEncoder(nn.Module):
    """(B, C, L) beat windows -> (B, emb)."""

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        c = cfg.channels
        self.net = nn.Sequential(
            nn.Conv1d(cfg.in_channels if cfg.wave == "both" else 1, c, 7, stride=2, padding=3), nn.BatchNorm1d(c), nn.ReLU(),
            nn.Conv1d(c, c, 5, stride=2, padding=2), nn.BatchNorm1d(c), nn.ReLU(),
            nn.Conv1d(c, c, 5, stride=2, padding=2), nn.BatchNorm1d(c), nn.ReLU(),
            nn.AdaptiveAvgPool1d(4),  # keeps coarse position (P, QRS, T) without tying to L
            nn.Flatten(), nn.Linear(4 * c, cfg.emb), nn.ReLU(),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


class BeatLSTM(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.cfg = cfg
        self.encoder = BeatEncoder(cfg)
        d_in = cfg.emb + cfg.n_rr
        if cfg.use_context:
            self.seq = nn.LSTM(d_in, cfg.hidden, num_layers=cfg.layers, batch_first=True, bidirectional=True)
        else:
            self.seq = nn.Sequential(nn.Linear(d_in, 2 * cfg.hidden), nn.ReLU())
        self.drop = nn.Dropout(cfg.dropout)
        self.head = nn.Linear(2 * cfg.hidden, cfg.n_classes)

    def embed(self, w: torch.Tensor, rr: torch.Tensor) -> torch.Tensor:
        """(n, C, L), (n, n_rr) -> (n, emb + n_rr): per-beat part, computed once per beat."""
        if not self.cfg.use_rr:
            rr = torch.cat([torch.zeros_like(rr[:, :N_RR]), rr[:, N_RR:]], dim=-1)
        if self.cfg.wave != "both":
            w = w[:, 1:] if self.cfg.wave == "diff" else w[:, :1]
        e = self.encoder(w)
        if not self.cfg.use_wave:
            e = torch.zeros_like(e)
        return torch.cat([self.drop(e), rr], dim=-1)

    def sequence(self, z: torch.Tensor) -> torch.Tensor:
        """(B, T, d) beat embeddings -> (B, T, n_classes) logits."""
        h = self.seq(z)[0] if self.cfg.use_context else self.seq(z)
        return self.head(self.drop(h))

    def forward(self, w: torch.Tensor, rr: torch.Tensor) -> torch.Tensor:
        """(B, T, C, L), (B, T, n_rr) -> (B, T, n_classes) logits."""
        b, t = w.shape[:2]
        z = self.embed(w.reshape(b * t, *w.shape[2:]), rr.reshape(b * t, -1))
        return self.sequence(z.reshape(b, t, -1))


class BeatEnsemble(nn.Module):
    """Members of one architecture trained from different seeds; their logits are averaged.

    Inter-patient results of a single small network vary a lot with the seed
    (few S patients to learn from); a mean of a few members is steadier.
    """

    def __init__(self, cfg: ModelConfig, n_members: int):
        super().__init__()
        self.cfg = cfg
        self.members = nn.ModuleList(BeatLSTM(cfg) for _ in range(n_members))


def ensemble_members(model) -> list:
    """The networks of ``model``: its members for a :class:`BeatEnsemble`, else ``[model]``."""
    return list(model.members) if isinstance(model, BeatEnsemble) else [model]
