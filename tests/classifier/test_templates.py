"""Beat templates: two morphologies in a synthetic record end up in different templates."""
import numpy as np
import pytest

from ecg_lstm.classifier.templates import TemplateConfig, beat_templates

FS = 360.0


def _synthetic(n_beats=300, every=5, seed=0):
    """A narrow upright QRS every 0.8 s; every ``every``-th beat wide, inverted and 25 % early."""
    rng = np.random.default_rng(seed)
    t_beats, kind, t = [], [], 1.0
    for i in range(n_beats):
        wide = i % every == every - 1
        t += 0.6 if wide else 0.8
        t_beats.append(t)
        kind.append(wide)
    x = np.zeros(int((t + 1.5) * FS))
    tt = np.arange(-int(0.3 * FS), int(0.3 * FS)) / FS
    narrow = np.exp(-0.5 * (tt / 0.012) ** 2) + 0.15 * np.exp(-0.5 * ((tt + 0.18) / 0.03) ** 2)
    broad = -0.8 * np.exp(-0.5 * (tt / 0.04) ** 2) + 0.3 * np.exp(-0.5 * ((tt - 0.2) / 0.05) ** 2)
    peaks = np.rint(np.array(t_beats) * FS).astype(int)
    for p, w in zip(peaks, kind):
        x[p + int(tt[0] * FS): p + int(tt[0] * FS) + len(tt)] += broad if w else narrow
    x += 0.01 * rng.standard_normal(len(x))
    return x, peaks, np.array(kind)


def test_two_morphologies_get_separate_templates():
    x, peaks, wide = _synthetic()
    t = beat_templates(x, FS, peaks)
    lab = t.beat_template
    # No template holds both shapes, and each shape has a template.
    for k in range(t.n_templates):
        members = wide[lab == k]
        assert members.all() or not members.any(), f"template {k} mixes the two shapes"
    assert set(lab[wide]).isdisjoint(lab[~wide])
    # Template 0 is the most frequent one: the narrow beats.
    assert not wide[lab == 0].any()
    assert t.table["count"].sum() == len(peaks) and list(t.table["template"]) == list(range(t.n_templates))
    assert (np.diff(t.table["count"].to_numpy()) <= 0).all()
    # The narrow beats' median peaks upwards at R, the wide ones' downwards.
    assert t.medians[0, t.n_pre] > 0.5 and t.medians[lab[wide][0], t.n_pre] < -0.3
    # Representatives belong to their template.
    for _, row in t.table.iterrows():
        assert row["representatives"] and all(lab[i] == row["template"] for i in row["representatives"])


def test_templates_follow_the_order_of_peaks_and_are_deterministic():
    x, peaks, wide = _synthetic(120)
    a = beat_templates(x, FS, peaks)
    perm = np.random.default_rng(1).permutation(len(peaks))
    b = beat_templates(x, FS, peaks[perm])
    # Same partition whatever the order of the beats given.
    assert np.array_equal(a.beat_template[perm], b.beat_template)
    assert all(wide[perm][i] == wide[perm][row[0]] for row in b.table["representatives"] for i in row)
    c = beat_templates(x, FS, peaks)
    assert np.array_equal(a.beat_template, c.beat_template)


def test_model_labels_are_counted_per_template():
    x, peaks, wide = _synthetic(100)
    probs = np.tile([0.9, 0.05, 0.03, 0.01, 0.01], (len(peaks), 1))
    probs[wide] = [0.05, 0.05, 0.85, 0.03, 0.02]
    t = beat_templates(x, FS, peaks, probs=probs)
    for _, row in t.table.iterrows():
        members = t.beat_template == row["template"]
        assert row["n_V"] == wide[members].sum() and row["n_N"] == (~wide[members]).sum()
        assert row["label"] == ("V" if wide[members].all() else "N")


def test_edge_cases_and_bad_input():
    x, peaks, _ = _synthetic(30)
    assert beat_templates(x, FS, peaks[:0]).n_templates == 0
    one = beat_templates(x, FS, peaks[:1])
    assert one.n_templates == 1 and one.beat_template.tolist() == [0]
    assert beat_templates(x, FS, peaks, config=TemplateConfig(k=1)).n_templates == 1
    with pytest.raises(ValueError, match="inside the signal"):
        beat_templates(x, FS, np.array([len(x) + 5]))
    with pytest.raises(ValueError, match="one lead"):
        beat_templates(np.stack([x, x]), FS, peaks)
    with pytest.raises(ValueError, match="probs"):
        beat_templates(x, FS, peaks, probs=np.ones((3, 5)))
