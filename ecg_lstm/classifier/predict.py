"""``BeatClassifier``: load the shipped weights and label beats.

Inference cost is dominated by one pass of the filter and one pass of the CNN
per beat; the LSTM then runs over overlapping windows of beat embeddings, all
windows in a batch, and each beat's logits are a centre-weighted mean of the
windows that cover it (a beat at a window's edge sees only one side).
:func:`sequence_logits` is the plain reference; ``BeatClassifier`` runs the
same networks through :class:`.runtime.BeatRuntime` (the whole ensemble per
batch, batches sized for the device, on the GPU when torch sees one).
"""
from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import torch

from ..beats.aami import CLASSES
from ..errors import ModelError
from ..paths import MODELS_DIR
from ..signal.checks import check_lead_and_peaks
from ..weights import load_weights
from .features import FEATURES_VERSION, FeatureConfig, beat_features
from .model import BeatEnsemble, BeatLSTM, ModelConfig
from .runtime import BeatRuntime, inference_device, window_average  # noqa: F401 (window_average: public here too)

DEFAULT_PATH = MODELS_DIR / "beat_lstm.pt"
FORMAT = "ecg-lstm-beat/1"


def save_checkpoint(path, model: BeatLSTM | BeatEnsemble, config: dict) -> None:
    """Weights as a plain state_dict plus a JSON-able config dict."""
    sd = {k: v.detach().cpu() for k, v in model.state_dict().items()}
    torch.save({"format": FORMAT, "config": config, "state_dict": sd}, path)


@torch.inference_mode()
def sequence_logits(model: BeatLSTM | BeatEnsemble, w: torch.Tensor, rr: torch.Tensor, seq_len: int,
                    chunk: int = 1024) -> torch.Tensor:
    """(n, C, L), (n, n_rr) beats of one record, in time order -> (n, n_classes) logits
    (the mean over the members of an ensemble)."""
    if isinstance(model, BeatEnsemble):
        return torch.stack([sequence_logits(m, w, rr, seq_len, chunk) for m in model.members]).mean(0)
    n = len(w)
    if n == 0:
        return torch.zeros(0, model.cfg.n_classes)
    z = torch.cat([model.embed(w[i:i + chunk], rr[i:i + chunk]) for i in range(0, n, chunk)])
    return window_average(model.sequence, z, seq_len, model.cfg.n_classes)


def fold_batchnorm(model: BeatLSTM | BeatEnsemble) -> BeatLSTM | BeatEnsemble:
    """Fold each eval-mode BatchNorm into the convolution before it (same outputs, one pass less
    over the CNN's activations: a third of the CNN's time on a CPU). Inference only."""
    members = model.members if isinstance(model, BeatEnsemble) else [model]
    with torch.no_grad():
        for m in members:
            net = m.encoder.net
            for i in range(len(net) - 1):
                conv, bn = net[i], net[i + 1]
                if isinstance(conv, torch.nn.Conv1d) and isinstance(bn, torch.nn.BatchNorm1d):
                    s = bn.weight / torch.sqrt(bn.running_var + bn.eps)
                    conv.weight.mul_(s[:, None, None])
                    conv.bias.copy_((conv.bias - bn.running_mean) * s + bn.bias)
                    net[i + 1] = torch.nn.Identity()
    return model


class BeatClassifier:
    """AAMI beat classifier: ``predict(ecg, fs, peaks) -> (labels, probs)``.

    ``model`` stays on the CPU (adaptation and explanations read it there); inference runs on
    ``device`` (default: the GPU when torch sees one, else the CPU) through a
    :class:`.runtime.BeatRuntime` built on first use, and built again if ``model`` is replaced.
    """

    def __init__(self, model: BeatLSTM | BeatEnsemble, config: dict, name: str = "beat_lstm", device=None):
        self.model = fold_batchnorm(model.eval())
        self.config = config
        self.name = name
        self.features = FeatureConfig(**config["features"])
        self.seq_len = int(config["seq_len"])
        self.temperature = float(config.get("temperature", 1.0))
        self.device = inference_device(device)
        self._runtime: BeatRuntime | None = None

    @property
    def runtime(self) -> BeatRuntime:
        """The batched inference of ``self.model`` on ``self.device``."""
        rt = self._runtime
        if rt is None or rt.model is not self.model or rt.seq_len != self.seq_len:
            rt = self._runtime = BeatRuntime(self.model, self.seq_len, self.device)
        return rt

    @classmethod
    def load(cls, path=None, device=None) -> "BeatClassifier":
        """Load weights saved by training (default: the shipped ``models/beat_lstm.pt``); ``device`` as in
        the class docstring."""
        path = Path(path) if path is not None else DEFAULT_PATH
        ckpt = load_weights(path, "beat classifier", "make train")
        if not isinstance(ckpt, dict) or ckpt.get("format") != FORMAT:
            raise ModelError(f"{path} is not a beat classifier checkpoint (expected format {FORMAT}); "
                             "retrain with `make train` or use the shipped models/beat_lstm.pt")
        version = ckpt.get("config", {}).get("features_version") if isinstance(ckpt.get("config"), dict) else None
        if version != FEATURES_VERSION:
            raise ModelError(f"{path} was trained on beat features version {version}, this code computes "
                             f"version {FEATURES_VERSION}; retrain with `make train` or update ecg-lstm")
        try:
            config = ckpt["config"]
            mcfg = ModelConfig.from_dict(config["model"])
            model = BeatEnsemble(mcfg, int(config["members"])) if "members" in config else BeatLSTM(mcfg)
            model.load_state_dict(ckpt["state_dict"])
            return cls(model, config, name=f"{path.stem} ({config.get('trained', 'unknown date')})", device=device)
        except (KeyError, TypeError, RuntimeError) as e:
            raise ModelError(f"{path} does not match the beat classifier model "
                             f"({type(e).__name__}: {str(e).splitlines()[0][:200]}); retrain it") from None

    def probs_from_features(self, w: np.ndarray, rr: np.ndarray) -> np.ndarray:
        """Calibrated (n, 5) probabilities for one record's beat features, in time order."""
        return self.runtime.probs(w, rr, self.temperature)

    def hidden_from_features(self, w, rr) -> torch.Tensor:
        """(n, members * 2 * hidden) float32: each member's LSTM output per beat of one record's beat
        features (time order), averaged over the windows as the logits are, members side by side
        (:meth:`.runtime.BeatRuntime.hidden`; what ``adapt.RecordAdapter`` fits on)."""
        return self.runtime.hidden(w, rr)

    def fingerprint(self) -> str:
        """SHA-256 of the weights, temperature, window length and feature settings: what the labels depend
        on. Computed once per ``model`` and settings (weights changed in place afterwards are not seen)."""
        key = repr((self.temperature, self.seq_len, self.features))
        if getattr(self, "_fingerprint", (None,))[:2] != (self.model, key):
            h = hashlib.sha256(key.encode())
            for name, t in sorted(self.model.state_dict().items()):
                h.update(name.encode())
                h.update(t.detach().cpu().contiguous().numpy().tobytes())
            self._fingerprint = (self.model, key, h.hexdigest())
        return self._fingerprint[2]

    def predict(self, ecg: np.ndarray, fs: float, peaks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Label the beats at ``peaks`` (sample numbers at ``fs``) of the 1-D lead ``ecg``.

        Returns ``labels`` (n,) of "N"/"S"/"V"/"F"/"Q" and ``probs`` (n, 5) in
        class order N S V F Q, both in the order of ``peaks``.
        """
        ecg, peaks = check_lead_and_peaks(ecg, fs, peaks)
        if len(peaks) == 0:
            return np.zeros(0, dtype="<U1"), np.zeros((0, len(CLASSES)))
        order = np.argsort(peaks, kind="stable")
        # The windows are made a batch at a time (lazy): a day's take 100 MB.
        w, rr = beat_features(ecg, fs, peaks[order].astype(np.int64), self.features, lazy=True)
        probs = np.empty((len(peaks), len(CLASSES)))
        probs[order] = self.probs_from_features(w, rr)
        labels = np.asarray(CLASSES)[probs.argmax(axis=1)]
        return labels, probs
