"""The trained ``nn.LSTM``, unrolled by hand so that its gates can be read.

``nn.LSTM`` returns only the hidden states; its input, forget and output gates
and cell state stay inside the fused kernel.  This module runs the same
equations one step at a time with the module's own trained weights
(PyTorch's gate order in ``weight_ih``: input, forget, cell candidate, output)::

    i = sigmoid(W_ii x + b_ii + W_hi h + b_hi)      f = sigmoid(W_if x + b_if + W_hf h + b_hf)
    g = tanh(W_ig x + b_ig + W_hg h + b_hg)         o = sigmoid(W_io x + b_io + W_ho h + b_ho)
    c' = f * c + i * g                              h' = o * tanh(c')

The backward direction runs the same cell over the reversed sequence.  A test
checks that the hidden states equal ``nn.LSTM``'s to 1e-5.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

GATES = ("input", "forget", "output")


@dataclass
class LSTMState:
    """Per-step state of one direction, each (T, hidden) for one sequence."""

    input: torch.Tensor
    forget: torch.Tensor
    output: torch.Tensor
    cell: torch.Tensor
    hidden: torch.Tensor


def _direction(x: torch.Tensor, w_ih, w_hh, b_ih, b_hh, reverse: bool) -> LSTMState:
    """One direction over (T, d) inputs, zero initial state (as ``nn.LSTM`` without ``hx``)."""
    hidden = w_hh.shape[1]
    h = x.new_zeros(hidden)
    c = x.new_zeros(hidden)
    pre_x = x @ w_ih.T + b_ih + b_hh  # the input part of every step at once
    steps = range(len(x) - 1, -1, -1) if reverse else range(len(x))
    out = {k: x.new_zeros(len(x), hidden) for k in ("input", "forget", "output", "cell", "hidden")}
    for t in steps:
        gi, gf, gg, go = (pre_x[t] + w_hh @ h).chunk(4)
        i, f, g, o = torch.sigmoid(gi), torch.sigmoid(gf), torch.tanh(gg), torch.sigmoid(go)
        c = f * c + i * g
        h = o * torch.tanh(c)
        out["input"][t], out["forget"][t], out["output"][t], out["cell"][t], out["hidden"][t] = i, f, o, c, h
    return LSTMState(**out)


@torch.no_grad()
def unrolled_lstm(lstm: nn.LSTM, x: torch.Tensor) -> tuple[torch.Tensor, list[LSTMState]]:
    """Run the single-layer, batch-first ``lstm`` on one sequence ``x`` (T, d) step by step.

    Returns the output (T, hidden * directions), equal to ``lstm(x[None])[0][0]``,
    and the state of each direction (forward first, then backward).
    """
    if lstm.num_layers != 1 or not lstm.batch_first or lstm.proj_size:
        raise ValueError("unrolled_lstm reads single-layer, batch-first LSTMs without projection")
    x = x.to(lstm.weight_ih_l0.dtype)
    states = []
    for sfx, reverse in [("", False)] + ([("_reverse", True)] if lstm.bidirectional else []):
        p = lambda name: getattr(lstm, f"{name}_l0{sfx}")  # noqa: E731
        zero = torch.zeros_like(p("weight_ih")[:, 0])
        b_ih = p("bias_ih") if lstm.bias else zero
        b_hh = p("bias_hh") if lstm.bias else zero
        states.append(_direction(x, p("weight_ih"), p("weight_hh"), b_ih, b_hh, reverse))
    return torch.cat([s.hidden for s in states], dim=-1), states


@dataclass
class Directions:
    """The two directions of a bidirectional ``nn.LSTM`` as separate modules sharing its trained weights.

    The head reads the output at one beat only: the forward direction's state after the beats up to
    it and the backward direction's after the beats from the end down to it.  Run apart, each
    direction stops at that beat (half the work of the full BiLSTM), and when only that beat's input
    changes, each direction is one cell step from a state computed once (``step``).
    """

    forward: nn.LSTM
    backward: nn.LSTM
    forward_cell: nn.LSTMCell
    backward_cell: nn.LSTMCell

    @classmethod
    def of(cls, lstm: nn.LSTM) -> "Directions":
        if not lstm.bidirectional or lstm.num_layers != 1 or not lstm.batch_first or lstm.proj_size:
            raise ValueError("Directions splits single-layer, batch-first bidirectional LSTMs")
        mods = []
        for sfx in ("", "_reverse"):
            seq = nn.LSTM(lstm.input_size, lstm.hidden_size, batch_first=True, bias=lstm.bias)
            cell = nn.LSTMCell(lstm.input_size, lstm.hidden_size, bias=lstm.bias)
            with torch.no_grad():
                for name in ("weight_ih", "weight_hh") + (("bias_ih", "bias_hh") if lstm.bias else ()):
                    w = getattr(lstm, f"{name}_l0{sfx}")
                    getattr(seq, f"{name}_l0").copy_(w)
                    getattr(cell, name).copy_(w)
            mods.append((seq.eval().requires_grad_(False), cell.eval().requires_grad_(False)))
        return cls(mods[0][0], mods[1][0], mods[0][1], mods[1][1])

    def output_at(self, x: torch.Tensor, t: int) -> torch.Tensor:
        """(B, T, d) -> (B, 2 * hidden): the BiLSTM's output at step ``t``."""
        hf = self.forward(x[:, :t + 1])[0][:, -1]
        hb = self.backward(x[:, t:].flip(1))[0][:, -1]
        return torch.cat([hf, hb], dim=-1)

    @torch.no_grad()
    def states_around(self, x: torch.Tensor, t: int):
        """(T, d) one sequence -> the forward state before step ``t`` and the backward state after it,
        each an (h, c) pair of (1, hidden), zeros at the sequence's ends."""
        zero = x.new_zeros(1, self.forward.hidden_size)
        fwd = self.forward(x[None, :t])[1] if t > 0 else (zero[None], zero[None])
        bwd = self.backward(x[None, t + 1:].flip(1))[1] if t + 1 < len(x) else (zero[None], zero[None])
        return (fwd[0][0], fwd[1][0]), (bwd[0][0], bwd[1][0])

    def step(self, xt: torch.Tensor, states) -> torch.Tensor:
        """(B, d) inputs at step t, ``states_around``'s result -> (B, 2 * hidden) output at t."""
        (hf, cf), (hb, cb) = states
        b = len(xt)
        of = self.forward_cell(xt, (hf.expand(b, -1), cf.expand(b, -1)))[0]
        ob = self.backward_cell(xt, (hb.expand(b, -1), cb.expand(b, -1)))[0]
        return torch.cat([of, ob], dim=-1)
