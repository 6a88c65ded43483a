"""Batched inference of the beat classifier's networks on long records (a 24-hour Holter: ~100,000 beats).

:func:`.predict.sequence_logits` is the reference: it runs each member of the ensemble in turn, its CNN
over every beat, then its LSTM over the overlapping beat windows. :class:`BeatRuntime` gives the same
logits (to float rounding) with less work:

* the members' embeddings of a beat are computed in one pass over the beats and kept side by side, so the
  windows are gathered once for the whole ensemble and the centre-weighted accumulation is done once, on
  the members' mean logits (the window average is linear: the mean of the members' averages is the
  average of their mean);
* batches are sized for the device. On a CPU, 128 windows per thread: each thread's share of the LSTM's
  activations then stays in its cache. On one thread, 64 to 256 windows of 64 beats took the same time on
  a 24-hour record, 1,024 (the reference's batch) about twice as long. On a GPU, batches take a share of
  its free memory, which for the shipped model is the whole record at once.

The networks run in plain torch. ONNX Runtime (its LSTM kernel), TorchScript and torch.compile were
measured against it on a 24-hour record (``bench/bench_inference.py``), for this model and the rhythm
model, with the same labels: none was faster by a fifth, ONNX Runtime was slower (torch's LSTM is
oneDNN's), and torch.compile adds seconds of compilation to each new process.

The CPU's thread count is left as the caller set it (``torch.set_num_threads``; torch's default is the
number of cores): batch workers pin one thread each on purpose. On a machine busier than its cores, more
than one thread is slower than one (OpenMP threads spin-wait on each other), several times over.
"""
from __future__ import annotations

import numpy as np
import torch
from torch import nn

from ..weights import batch_size, inference_device, on_device
from .model import BeatLSTM, ensemble_members

#: CPU batch sizes per torch thread: beats per CNN call, windows per LSTM call (see the module docstring).
CPU_BEATS = 1024
CPU_WINDOWS = 128


def window_average(fn, z, seq_len: int, d: int, batch: int = 1024, n: int | None = None) -> torch.Tensor:
    """``fn`` (a batch of beat sequences (b, L, e) -> (b, L, d)) over one record's beat embeddings
    ``z`` (n, e) in overlapping windows of ``seq_len`` beats (hop ``seq_len // 2``), each beat's
    outputs averaged with centre-heavy weights: a beat near a window's edge has little context.
    ``batch`` windows go to ``fn`` at a time; the result is on ``z``'s device. ``z`` may instead
    be a function ``(lo, hi) -> embeddings of beats lo..hi-1`` (with ``n``, the number of beats):
    the embeddings of a batch's beats are then made as the batch needs them, not a day's at once."""
    part_of = z if callable(z) else (lambda lo, hi: z[lo:hi])
    n = len(z) if n is None else n
    if n <= seq_len:
        return fn(part_of(0, n)[None])[0].float()
    hop = seq_len // 2
    starts = np.arange(0, n - seq_len + 1, hop)
    if starts[-1] != n - seq_len:
        starts = np.append(starts, n - seq_len)
    acc = wsum = None
    t = torch.arange(seq_len, dtype=torch.float32)
    wt = 1.0 - (t - (seq_len - 1) / 2).abs() / (seq_len / 2) + 1e-3  # centre-weighted
    for i in range(0, len(starts), batch):
        lo, hi = int(starts[i]), int(starts[min(i + batch, len(starts)) - 1]) + seq_len
        zb = part_of(lo, hi)
        dev = zb.device
        if acc is None:
            acc, wsum, wt = torch.zeros(n, d, device=dev), torch.zeros(n, device=dev), wt.to(dev)
        part = torch.as_tensor(starts[i:i + batch, None] - lo + np.arange(seq_len)[None, :], device=dev)
        out = fn(zb[part]).float()
        acc.index_add_(0, (part + lo).reshape(-1), (out * wt[None, :, None]).reshape(-1, d))
        wsum.index_add_(0, (part + lo).reshape(-1), wt.repeat(len(part)))
    return acc / wsum[:, None]


@torch.inference_mode()
def member_hidden(model: BeatLSTM, w: torch.Tensor, rr: torch.Tensor, seq_len: int, chunk: int = 1024) -> torch.Tensor:
    """(n, 2 * hidden) LSTM output per beat, centre-weighted over the overlapping windows as in
    ``predict.sequence_logits``: ``model.head`` of it gives exactly the plain logits (the head is linear).
    The reference of :meth:`BeatRuntime.hidden`, one member at a time."""
    n = len(w)
    d = model.head.in_features
    if n == 0:
        return torch.zeros(0, d)
    z = torch.cat([model.embed(w[i:i + chunk], rr[i:i + chunk]) for i in range(0, n, chunk)])

    def hidden(x):
        return model.seq(x)[0] if model.cfg.use_context else model.seq(x)

    return window_average(hidden, z, seq_len, d)


class BeatRuntime:
    """The logits of a :class:`.model.BeatLSTM` or :class:`.model.BeatEnsemble` for one record's beats.

    ``BeatRuntime(model, seq_len).logits(w, rr)`` equals ``sequence_logits(model, w, rr, seq_len)`` to float
    rounding. Members that are not :class:`.model.BeatLSTM` (wrappers that run a network elsewhere and hand
    back CPU tensors, as the batch workers' GPU wrapper does) are called as they are, on CPU tensors.
    """

    def __init__(self, model: nn.Module, seq_len: int, device=None):
        self.model = model  # the networks this runtime was built from
        members = ensemble_members(model)
        own = all(isinstance(m, BeatLSTM) for m in members)
        self.device = inference_device(device) if own else torch.device("cpu")
        self.members = [on_device(m, self.device) for m in members] if own else members
        cfg = members[0].cfg
        self.seq_len, self.n_classes = int(seq_len), cfg.n_classes
        self.d = cfg.emb + cfg.n_rr
        # Rough float32 sizes, for GPU batches: a beat's CNN activations (input, three conv layers, each
        # twice for its ReLU) and a window's LSTM input, gates and outputs (both directions), per member.
        self.beat_bytes = 4 * (cfg.in_channels * cfg.window + 6 * cfg.channels * cfg.window) * len(members)
        self.window_bytes = 4 * self.seq_len * len(members) * (self.d + 12 * cfg.hidden * cfg.layers)
        #: Batch sizes; None: chosen at each call by :func:`batch_size` (the thread count may change).
        self.beat_batch: int | None = None
        self.window_batch: int | None = None

    @torch.inference_mode()
    def embed(self, w: torch.Tensor, rr: torch.Tensor) -> torch.Tensor:
        """(n, C, L), (n, n_rr) -> (n, members * d): each member's per-beat embedding, side by side."""
        n, d = len(w), self.d
        b = self.beat_batch or batch_size(self.device, self.beat_bytes, CPU_BEATS)
        z = torch.empty(n, len(self.members) * d, device=self.device)
        for i in range(0, n, b):
            wb = torch.as_tensor(w[i:i + b], dtype=torch.float32).to(self.device, non_blocking=True)
            rb = rr[i:i + b].to(self.device, non_blocking=True)
            for k, m in enumerate(self.members):
                z[i:i + len(wb), k * d:(k + 1) * d] = m.embed(wb, rb)
        return z

    @torch.inference_mode()
    def sequence(self, zw: torch.Tensor) -> torch.Tensor:
        """(b, T, members * d) windows of embeddings -> (b, T, n_classes): the members' mean logits."""
        d = self.d
        out = None
        for k, m in enumerate(self.members):
            o = m.sequence(zw[..., k * d:(k + 1) * d].contiguous()).float()  # cuDNN takes contiguous input
            out = o if out is None else out.add_(o)
        return out / len(self.members)

    @torch.inference_mode()
    def member_outputs(self, zw: torch.Tensor) -> torch.Tensor:
        """(b, T, members * d) windows of embeddings -> (b, T, members * 2 * hidden): each member's LSTM
        output, side by side (its ``head`` on its part gives its logits: the head is linear)."""
        d = self.d
        out = []
        for k, m in enumerate(self.members):
            x = zw[..., k * d:(k + 1) * d].contiguous()
            out.append((m.seq(x)[0] if m.cfg.use_context else m.seq(x)).float())
        return torch.cat(out, dim=-1)

    @torch.inference_mode()
    def logits(self, w, rr, sequence=None) -> torch.Tensor:
        """(n, C, L), (n, n_rr) beats of one record in time order -> (n, n_classes) logits on the CPU.
        ``sequence`` replaces :meth:`sequence` (another implementation of the LSTM part, to compare)."""
        return self._over_windows(w, rr, self.sequence if sequence is None else sequence, self.n_classes)

    @torch.inference_mode()
    def hidden(self, w, rr) -> torch.Tensor:
        """(n, members * 2 * hidden) float32 on the CPU: each member's LSTM output per beat, averaged over the
        overlapping windows as :meth:`logits` averages logits, members side by side. A member's ``head`` on
        its part gives that member's logits; the mean of those is :meth:`logits` (to float rounding).
        Only for :class:`.model.BeatLSTM` members (a wrapper hands back logits, not its LSTM's output)."""
        if not all(isinstance(m, BeatLSTM) for m in self.members):
            raise TypeError("hidden states need the networks themselves (BeatLSTM members), not wrappers")
        width = sum(m.head.in_features for m in self.members)
        return self._over_windows(w, rr, self.member_outputs, width)

    def _over_windows(self, w, rr, fn, width: int) -> torch.Tensor:
        """``fn`` (windows of embeddings -> (b, T, width)) over the record's beats, centre-weighted average."""
        if isinstance(w, (np.ndarray, torch.Tensor)):  # else windows made on demand (features.BeatWindows)
            w = torch.as_tensor(w, dtype=torch.float32)
        rr = torch.as_tensor(rr, dtype=torch.float32)
        if len(w) == 0:
            return torch.zeros(0, width)
        b = self.window_batch or batch_size(self.device, self.window_bytes, CPU_WINDOWS)
        # Embedded batch by batch (the beats at a batch's edge twice): a day's embeddings of every
        # member side by side would take 120 MB.
        return window_average(fn, lambda lo, hi: self.embed(w[lo:hi], rr[lo:hi]), self.seq_len, width,
                              b, n=len(w)).cpu()

    def probs(self, w, rr, temperature: float = 1.0, sequence=None) -> np.ndarray:
        """Calibrated (n, n_classes) probabilities, float64."""
        logits = self.logits(w, rr, sequence)
        return torch.softmax(logits / temperature, dim=-1).numpy().astype(np.float64)


class InMemoryOnly:
    """A value kept with an analysis while it is in memory, left out when the analysis is pickled or
    deep-copied (a data cache, a copy for another process): a day's adapter holds some 100 MB, and what
    is left out is built again when it is needed (``ecg_lstm.review.record_adapter``)."""

    __slots__ = ("value",)

    def __init__(self, value=None):
        self.value = value

    def __reduce__(self):
        return (InMemoryOnly, ())
