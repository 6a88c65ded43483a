"""One PNG of a beat explanation (matplotlib, no display needed)."""
from __future__ import annotations

from pathlib import Path

import numpy as np

#: The dashboard's class colours (dashboard/trace/style.py), so a PNG and the page read the same.
CLASS_COLOURS = {"N": "#2e7d32", "S": "#1565c0", "V": "#c62828", "F": "#6a1b9a", "Q": "#616161"}


def explanation_figure(ex: dict):
    """A matplotlib Figure of ``BeatExplanation.to_json_dict()``: the beat with its attribution band,
    the feature contributions, the context attribution, the LSTM gates and the similar training beats."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt
    from matplotlib.gridspec import GridSpec

    fig = plt.figure(figsize=(16, 15))
    gs = GridSpec(4, 8, figure=fig, height_ratios=[1.2, 0.8, 1.0, 0.9], left=0.05, right=0.98, top=0.94,
                  bottom=0.04, wspace=0.35, hspace=0.45)
    fig.suptitle(f"Beat {ex['beat']} (sample {ex['sample']}): {ex['label']}, p = {ex['probs'][ex['label']]:.2f}; "
                 f"attributions to the {ex['target']} logit", fontsize=13)

    # The beat, the median beat, and the attribution as a colour band under them.
    ax = fig.add_subplot(gs[0, :3])
    t = np.asarray(ex["time_s"]) * 1000
    beat, med, attr = map(np.asarray, (ex["beat_wave"], ex["median_wave"], ex["sample_attribution"]))
    lo, hi = min(beat.min(), med.min()), max(beat.max(), med.max())
    band = 0.15 * (hi - lo + 1e-6)
    lim = float(np.abs(attr).max()) or 1.0
    ax.imshow(attr[None], aspect="auto", cmap="RdBu_r", vmin=-lim, vmax=lim,
              extent=(t[0], t[-1], lo - 1.3 * band, lo - 0.3 * band))
    ax.plot(t, med, color="0.6", lw=1.5, label="record's median beat")
    ax.plot(t, beat, color="k", lw=1.5, label="this beat")
    ax.set_ylim(lo - 1.4 * band, hi + 0.2 * band)
    ax.set_xlabel("ms from R")
    ax.set_ylabel("R amplitudes")
    ax.set_title("Waveform: red band pushed towards the label, blue against")
    ax.legend(loc="upper right", fontsize=8)

    # Feature contributions (largest first).
    ax = fig.add_subplot(gs[0, 6:])  # columns 4-5 hold its labels
    feats = sorted(ex["features"], key=lambda f: -abs(f["attribution"]))[:12][::-1]
    vals = [f["attribution"] for f in feats]
    ax.barh(range(len(feats)), vals, color=["#c44e52" if v > 0 else "#4c72b0" for v in vals])
    ax.set_yticks(range(len(feats)), [f["text"] for f in feats], fontsize=8)
    ax.axvline(0, color="k", lw=0.8)
    ax.set_xlabel("contribution to the logit (RR and morphology features)")

    # Context.
    ax = fig.add_subplot(gs[1, :])
    off, ca = np.asarray(ex["context_offsets"]), np.asarray(ex["context_attribution"])
    ax.bar(off, ca, color=[CLASS_COLOURS.get(c, "0.5") for c in ex["context_labels"]], width=0.8)
    ax.axvline(0, color="k", lw=0.8, ls=":")
    ax.axhline(0, color="k", lw=0.8)
    own = ca[off == 0][0]
    lim = 1.3 * max(float(np.abs(ca[off != 0]).max()) if len(ca) > 1 else 0.0, 1e-3)
    if abs(own) > lim:  # the beat's own bar would flatten its neighbours': cut it and write its value
        ax.set_ylim(-lim, lim)
        ax.text(0.5, np.sign(own) * lim * 0.9, f"this beat {own:+.2f}", fontsize=9, va="center")
    ax.set_xlabel("beat relative to this one (colour: the model's label of that beat)")
    ax.set_ylabel("contribution")
    ax.set_title("Which beats of the LSTM's context drove the label")

    # Gates of the first member, both directions.
    offs = ex["lstm_window_offsets"]
    for r, direction in enumerate(("forward", "backward")):
        for k, gate in enumerate(("input", "forget", "output", "cell")):
            ax = fig.add_subplot(gs[2, r * 4 + k])
            m = np.asarray(ex["lstm_state"][direction][gate]).T
            kw = dict(vmin=0, vmax=1, cmap="viridis") if gate != "cell" else dict(cmap="RdBu_r", vmin=-3, vmax=3)
            ax.imshow(m, aspect="auto", extent=(offs[0] - 0.5, offs[-1] + 0.5, m.shape[0], 0), **kw)
            ax.axvline(0, color="w", lw=0.8)
            ax.set_title(f"{direction} {gate}", fontsize=9)
            ax.set_xlabel("beat", fontsize=8)
            if k == 0 and r == 0:
                ax.set_ylabel("unit")
            ax.tick_params(labelsize=7)

    # Similar training beats, one panel per class.
    classes = [c for c in "NSVFQ" if any(s["class"] == c for s in ex["similar"])]
    for k, c in enumerate(classes[:8]):
        ax = fig.add_subplot(gs[3, k])
        for s in (s for s in ex["similar"] if s["class"] == c):
            ax.plot(t, s["wave"], color=CLASS_COLOURS[c], lw=1, alpha=0.8)
        ax.plot(t, beat, color="k", lw=1)
        sims = [s["similarity"] for s in ex["similar"] if s["class"] == c]
        ax.set_title(f"training {c} (cos {max(sims):.2f})", fontsize=9)
        ax.tick_params(labelsize=7)
    if not classes:
        ax = fig.add_subplot(gs[3, :])
        ax.axis("off")
        ax.text(0.5, 0.5, ex.get("similar_note") or "no similar beats", ha="center")
    return fig


def save_png(ex: dict, path) -> Path:
    import matplotlib.pyplot as plt

    fig = explanation_figure(ex)
    path = Path(path)
    fig.savefig(path, dpi=80)
    plt.close(fig)
    return path
