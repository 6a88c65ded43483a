"""Beat explanations: the unrolled LSTM, completeness of the attributions, the similar-beat
index, the ``explain`` command and a small deletion test, on DS1 records only."""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from ecg_lstm.beats.aami import CLASSES, DS1, reference_beats
from ecg_lstm.classifier.predict import sequence_logits
from ecg_lstm.explain.core import Explainer, covering_windows
from ecg_lstm.explain.lstm_cell import unrolled_lstm
from ecg_lstm.explain.neighbours import DEFAULT_INDEX, NeighbourIndex, record_embeddings, weights_digest
from ecg_lstm.explain.phrases import describe


@pytest.fixture(scope="module")
def explainer() -> Explainer:
    torch.set_num_threads(1)
    return Explainer.load()


_CUTS: dict = {}


def _cut(mitdb_dir, name: str):
    """First 6 minutes of a DS1 record at its reference beats: (ecg, fs, peaks, labels)."""
    if name not in _CUTS:
        from ecg_lstm.io.read import read_record

        rec = read_record(mitdb_dir / name)
        peaks, labels = reference_beats(rec)
        keep = peaks < 360 * 360
        _CUTS[name] = rec.lead()[:360 * 360], rec.fs, peaks[keep], labels[keep]
    return _CUTS[name]


@pytest.fixture(scope="module")
def rec208(mitdb_dir):
    """Record 208: many V and F beats."""
    return _cut(mitdb_dir, "208")


@pytest.fixture(scope="module")
def prep208(explainer, rec208):
    ecg, fs, peaks, _ = rec208
    return explainer.prepare(ecg, fs, peaks)


def test_unrolled_lstm_equals_nn_lstm(explainer):
    torch.manual_seed(0)
    for m in explainer.members:
        assert m.seq.bidirectional
        for x in (torch.randn(64, m.seq.input_size), 3 * torch.randn(17, m.seq.input_size)):
            out, states = unrolled_lstm(m.seq, x)
            with torch.no_grad():
                ref = m.seq(x[None])[0][0]
            assert out.shape == ref.shape
            assert torch.allclose(out, ref, atol=1e-5, rtol=0)
            assert len(states) == 2
            for st in states:
                for g in ("input", "forget", "output"):
                    v = getattr(st, g)
                    assert v.shape == (len(x), m.cfg.hidden) and float(v.min()) >= 0 and float(v.max()) <= 1
                # h = o * tanh(c): the state read out is the one that made the output
                assert torch.allclose(st.hidden, st.output * torch.tanh(st.cell), atol=1e-6)


def test_split_directions_equal_nn_lstm(explainer):
    from ecg_lstm.explain.lstm_cell import Directions

    torch.manual_seed(1)
    m = explainer.members[1]
    d = Directions.of(m.seq)
    x = torch.randn(3, 64, m.seq.input_size)
    with torch.no_grad():
        ref = m.seq(x)[0]
        for t in (0, 20, 63):
            assert torch.allclose(d.output_at(x, t), ref[:, t], atol=1e-5)
            # one step from the states around t, with the input at t
            assert torch.allclose(d.step(x[0, t:t + 1], d.states_around(x[0], t)), ref[0, t:t + 1], atol=1e-5)


def test_unrolled_lstm_on_real_beats(explainer, prep208):
    ex = explainer.explain(prep208, 40)
    assert ex.lstm_check_max_abs < 1e-5
    assert len(ex.lstm_window_offsets) == 64 and 0 in ex.lstm_window_offsets


def test_prepared_logits_are_the_shipped_ones(explainer, rec208, prep208):
    ecg, fs, peaks, _ = rec208
    _, probs = explainer.clf.predict(ecg, fs, peaks)
    assert np.allclose(torch.softmax(prep208.logits, -1).numpy(), probs, atol=1e-6)


def _replaced_logits(explainer, prep, rows, c) -> float:
    """Shipped logits of the record with ``rows`` replaced by the median beat, computed the plain way."""
    w = prep.windows.copy()
    f = prep.features.copy()
    w[rows] = prep.base_window.numpy()
    f[rows] = prep.base_features.numpy()
    lg = sequence_logits(explainer.clf.model, torch.as_tensor(w), torch.as_tensor(f), explainer.clf.seq_len)
    return lg / explainer.clf.temperature


@pytest.mark.parametrize("record,kind", [("208", "V"), ("209", "S"), ("208", "N")])
def test_attributions_are_complete(explainer, mitdb_dir, record, kind):
    ecg, fs, peaks, ref = _cut(mitdb_dir, record)
    prep = explainer.prepare(ecg, fs, peaks)
    labels = np.asarray(CLASSES)[ref]
    pred = np.asarray(CLASSES)[prep.logits.argmax(1).numpy()]
    hits = np.flatnonzero((labels == kind) & (pred == kind))
    if not len(hits):
        pytest.skip(f"no {kind} beat labelled {kind} in this stretch")
    i = int(hits[len(hits) // 2])
    ex = explainer.explain(prep, i)
    c = CLASSES.index(ex.label)
    assert ex.label == kind
    # The beat part: against the logit with this beat replaced by the median beat, computed independently.
    base = float(_replaced_logits(explainer, prep, [i], c)[i, c])
    assert ex.beat_baseline_logit == pytest.approx(base, abs=1e-4)
    diff = ex.logit - base
    total = float(np.sum(ex.sample_attribution) + sum(f["attribution"] for f in ex.features))
    assert abs(total - diff) <= 0.05 * abs(diff), (total, diff)
    # The context part: every beat of the context replaced.
    rows = [i + o for o in ex.context_offsets]
    base_ctx = float(_replaced_logits(explainer, prep, rows, c)[i, c])
    assert ex.context_baseline_logit == pytest.approx(base_ctx, abs=1e-4)
    diff = ex.logit - base_ctx
    assert abs(float(np.sum(ex.context_attribution)) - diff) <= 0.05 * abs(diff)
    # An ectopic beat's own window carries its label more than any single neighbour does.
    if kind in "SV":
        own = ex.context_attribution[ex.context_offsets.index(0)]
        assert own == max(ex.context_attribution)


def test_explanation_contents(explainer, prep208):
    ex = explainer.explain(prep208, 100)
    d = json.loads(json.dumps(ex.to_json_dict()))
    L = len(d["time_s"])
    assert len(d["sample_attribution"]) == len(d["beat_wave"]) == len(d["median_wave"]) == L
    assert len(d["features"]) == 28 and {f["kind"] for f in d["features"]} == {"rr", "morphology"}
    assert len(d["context_offsets"]) == len(d["context_attribution"]) == len(d["context_labels"])
    assert sum(d["probs"].values()) == pytest.approx(1.0, abs=1e-4)
    assert d["summary"].startswith(f"Labelled {d['label']}")
    # similar beats: k per class present in the index, most similar first
    assert {s["class"] for s in d["similar"]} >= {"N", "S", "V", "F"}
    sims = [s["similarity"] for s in d["similar"] if s["class"] == "V"]
    assert sims == sorted(sims, reverse=True)
    with pytest.raises(ValueError, match="from 0 to"):
        explainer.explain(prep208, len(prep208.peaks))
    # Another class's logit ("why not N?"): same beat and label, the N logit explained.
    v = int(np.flatnonzero(prep208.logits.argmax(1).numpy() == CLASSES.index("V"))[0])
    why_not = explainer.explain(prep208, v, target="N")
    assert why_not.label == "V" and why_not.target == "N"
    assert why_not.logit == pytest.approx(float(prep208.logits[v, 0]), abs=1e-5)
    assert "the N logit" in why_not.summary
    with pytest.raises(ValueError, match="not one of"):
        explainer.explain(prep208, v, target="X")


def test_covering_windows_follow_predict():
    assert covering_windows(10, 64, 3) == [(0, 10, 1.0)]
    wins = covering_windows(500, 64, 40)
    assert [s for s, _, _ in wins] == [0, 32] and all(ln == 64 for _, ln, _ in wins)
    assert [s for s, _, _ in covering_windows(500, 64, 499)] == [436]


def test_index_is_small_ds1_only_and_matches_the_model():
    idx = NeighbourIndex.load()
    assert DEFAULT_INDEX.stat().st_size < 2_000_000
    assert idx.embeddings.dtype == np.float16 and idx.waves.dtype == np.float16
    assert set(idx.records) <= set(DS1)
    assert idx.model_digest == weights_digest()
    counts = np.bincount(idx.labels, minlength=5)
    assert counts[:4].min() >= 100
    assert np.allclose(np.linalg.norm(idx.embeddings.astype(np.float32), axis=1), 1.0, atol=1e-2)


def test_embedding_is_what_the_head_reads(explainer, prep208):
    emb = record_embeddings(explainer.clf, prep208.windows, prep208.features)
    members = explainer.members
    h = emb.shape[1] // len(members)
    with torch.no_grad():
        lg = sum(m.head(torch.as_tensor(emb[:, k * h:(k + 1) * h])) for k, m in enumerate(members)) / len(members)
    assert np.allclose(lg.numpy() / explainer.clf.temperature, prep208.logits.numpy(), atol=1e-4)
    assert np.allclose(explainer.embedding(prep208, 7), emb[7], atol=1e-5)


def test_index_refused_for_other_weights(tmp_path):
    other = tmp_path / "w.pt"
    other.write_bytes(b"not the shipped weights")
    with pytest.raises(Exception, match="make explain-index"):
        NeighbourIndex.load(DEFAULT_INDEX, other)


def test_phrases():
    assert describe("log_pre_sinus", float(np.log(0.62))) == "pre-RR 0.62 of the record's sinus RR"
    assert describe("width_s", 0.083) == "QRS width 83 ms"


def test_explain_cli_writes_json_and_png(mitdb_dir, tmp_path, capsys):
    from ecg_lstm.commands.main import main

    rc = main(["explain", str(mitdb_dir / "119"), "--beat", "5", "--out", str(tmp_path), "--reference-beats"])
    assert rc == 0
    doc = json.loads((tmp_path / "119_beat5.json").read_text())
    assert doc["record"] == "119" and doc["beat_source"] == "reference"
    ex = doc["explanation"]
    assert ex["beat"] == 5 and ex["label"] in CLASSES and len(ex["features"]) == 28
    from ecg_lstm.io.read import read_record

    assert ex["sample"] == int(reference_beats(read_record(mitdb_dir / "119"))[0][5])
    assert (tmp_path / "119_beat5.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # A beat outside the record: exit 1, a message, nothing written.
    rc = main(["explain", str(mitdb_dir / "119"), "--beat", "100000", "--out", str(tmp_path / "x"), "--no-png"])
    assert rc == 1
    assert "from 0 to" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()
    # Bad arguments: exit 2 before anything is read or written.
    assert main(["explain", str(mitdb_dir / "119"), "--beat", "-1", "--out", str(tmp_path / "y")]) == 2
    (tmp_path / "file").write_text("")
    assert main(["explain", str(mitdb_dir / "119"), "--beat", "1", "--out", str(tmp_path / "file")]) == 2
    assert not (tmp_path / "y").exists()
    # A record that does not exist: exit 1 with the reason.
    assert main(["explain", str(tmp_path / "nope"), "--beat", "1", "--out", str(tmp_path / "z")]) == 1
    assert "nope" in capsys.readouterr().err


def test_deletion_smoke(explainer, prep208):
    from ecg_lstm.explain.faithfulness import FRACTIONS, deletion

    i = int(np.flatnonzero(prep208.logits.argmax(1).numpy() == CLASSES.index("V"))[0])
    res = deletion(explainer, prep208, i, np.random.default_rng(0), n_random=4)
    assert len(res["cnn"]["top"]) == len(FRACTIONS) == len(res["end_to_end"]["random"])
    # Replacing the most attributed half of a V beat by the median beat must lower its V logit.
    assert res["cnn"]["top"][-1] > 0
    assert len(res["context"]["top"]) == len(res["context"]["random"]) == 4


def test_short_records_and_unsorted_beats(explainer, rec208):
    ecg, fs, peaks, _ = rec208
    for k in (1, 3, 70):  # one beat, fewer beats than a window, a window and a bit
        prep = explainer.prepare(ecg[:peaks[k - 1] + 400], fs, peaks[:k])
        for b in {0, k // 2, k - 1}:
            ex = explainer.explain(prep, b)
            assert ex.label in CLASSES
            n_ctx = len(ex.context_offsets)
            assert n_ctx == k if k <= 64 else 64 <= n_ctx <= k
            assert ex.beat_completeness_gap <= 0.05 and ex.context_completeness_gap <= 0.05
    # Beats given in any order are explained by the caller's numbering.
    perm = np.random.default_rng(0).permutation(100)
    shuffled = explainer.prepare(ecg, fs, peaks[:100][perm])
    ordered = explainer.prepare(ecg, fs, peaks[:100])
    j = int(np.flatnonzero(perm == 40)[0])
    a, b = explainer.explain(shuffled, j), explainer.explain(ordered, 40)
    assert a.sample == b.sample == int(peaks[40]) and a.logit == pytest.approx(b.logit, abs=1e-6)
    with pytest.raises(ValueError, match="no beats"):
        explainer.prepare(ecg, fs, np.array([], dtype=np.int64))
