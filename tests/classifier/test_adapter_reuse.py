"""The record's adapter built by the analysis is the one the review uses: nothing computed twice,
and what it gives equals a fresh ``RecordAdapter`` of the same beats."""
import copy
import pickle

import numpy as np
import pytest
import torch

from ecg_lstm.analyze import analyze_record
from ecg_lstm.classifier.adapt import RecordAdapter
from ecg_lstm.classifier.predict import BeatClassifier
from ecg_lstm.classifier.runtime import member_hidden
from ecg_lstm.io.read import read_record
from ecg_lstm.io.record import Record
from ecg_lstm.review import record_adapter, relabelled_analysis, reviewed_labels
from ecg_lstm.signal.spans import bridge_gaps

MINUTES = 10


@pytest.fixture(scope="module")
def clf():
    return BeatClassifier.load()


@pytest.fixture(scope="module", params=["208", "232"])
def opened(request, mitdb_dir, clf):
    """The first 10 minutes of a record, analysed as the page does (adapted, no rhythm model)."""
    rec = read_record(mitdb_dir / request.param, annotator=None)
    n = int(MINUTES * 60 * rec.fs)
    rec = Record(rec.name, rec.signal[:n], rec.fs, rec.lead_names, rec.units, None, dict(rec.metadata))
    return analyze_record(rec, classifier=clf, rhythm=None, adapt=True)


def _fresh(clf, analysis) -> RecordAdapter:
    ecg, _ = bridge_gaps(analysis.record.signal[:, analysis.lead_index])
    return RecordAdapter(clf, ecg, analysis.record.fs, analysis.beats["sample"].to_numpy(np.int64))


def _same(a, b, tol=1e-5):
    (la, pa), (lb, pb) = a, b
    assert np.array_equal(np.asarray(la), np.asarray(lb))
    assert np.abs(np.asarray(pa) - np.asarray(pb)).max() <= tol


def _reviewed(analysis, ad):
    """Three reviewed beats: the first three the adapter asks for, the second one called S."""
    samples = analysis.beats["sample"].to_numpy(np.int64)
    q = ad.query(3)
    labels = analysis.beats["label"].to_numpy()
    return {int(samples[q[0]]): str(labels[q[0]]), int(samples[q[1]]): "S", int(samples[q[2]]): str(labels[q[2]])}


def test_the_review_reuses_the_analysis_adapter_and_it_equals_a_fresh_one(clf, opened):
    kept = opened.derived["adapter"].value
    assert record_adapter(clf, opened) is kept  # nothing built again
    fresh = _fresh(clf, opened)
    assert np.array_equal(opened.beats["label"].to_numpy(), fresh.unsupervised()[0])
    _same(kept.plain(), fresh.plain())
    _same(kept.unsupervised(), fresh.unsupervised())
    corrections = _reviewed(opened, fresh)
    samples = opened.beats["sample"].to_numpy(np.int64)
    idx = np.searchsorted(samples, list(corrections))
    _same(kept.with_labels(idx, list(corrections.values())), fresh.with_labels(idx, list(corrections.values())))
    assert np.array_equal(kept.query(20), fresh.query(20))
    assert np.array_equal(kept.template_table().beat_template, fresh.template_table().beat_template)
    # The labels the review shows after Adapt, and the analysis with them.
    a = reviewed_labels(opened, kept, corrections, adapted=True)
    b = reviewed_labels(opened, fresh, corrections, adapted=True)
    _same(a[:2], b[:2])
    assert np.array_equal(a[2], b[2])
    rev = {"corrections": corrections, "adapted": True}
    x, y = relabelled_analysis(opened, kept, rev, None), relabelled_analysis(opened, fresh, rev, None)
    assert np.array_equal(x.beats["label"].to_numpy(), y.beats["label"].to_numpy())
    assert x.vitals["beat_counts"] == y.vitals["beat_counts"]


def test_the_adapter_is_left_out_of_a_pickled_or_copied_analysis_and_built_again(clf, opened):
    size = len(pickle.dumps(opened))
    for other in (pickle.loads(pickle.dumps(opened)), copy.deepcopy(opened)):
        assert other.derived["adapter"].value is None
        ad = record_adapter(clf, other)
        assert ad is not opened.derived["adapter"].value
        assert other.derived["adapter"].value is ad  # kept for the next call
        assert record_adapter(clf, other) is ad
        _same(ad.unsupervised(), opened.derived["adapter"].value.unsupervised())
    # The pickled analysis is no larger for the adapter: its hidden states alone would be
    # 192 float32 per beat.
    without = copy.copy(opened)
    without.derived = {k: v for k, v in opened.derived.items() if k != "adapter"}
    assert size - len(pickle.dumps(without)) < 1000


def test_another_classifier_or_other_beats_get_their_own_adapter(clf, opened):
    kept = opened.derived["adapter"].value
    same_weights = BeatClassifier.load()
    assert kept.fits(same_weights, opened.beats["sample"].to_numpy(np.int64))
    other = BeatClassifier.load()
    with torch.no_grad():
        other.model.members[0].head.bias.add_(0.5)
    assert not kept.fits(other, opened.beats["sample"].to_numpy(np.int64))
    assert not kept.fits(clf, opened.beats["sample"].to_numpy(np.int64)[:-1])
    a = copy.copy(opened)
    a.derived = dict(opened.derived)
    ad = record_adapter(other, a)
    assert ad is not kept and ad.fits(other, a.beats["sample"].to_numpy(np.int64))


def test_hidden_states_of_the_batched_runtime_equal_the_reference(clf):
    rng = np.random.default_rng(3)
    n = 700  # several windows, a batch boundary inside
    w = torch.as_tensor(rng.normal(size=(n, 2, clf.features.window)).astype(np.float32))
    f = torch.as_tensor(rng.normal(size=(n, 28)).astype(np.float32))
    rt = clf.runtime
    rt.window_batch = 5
    try:
        fast = rt.hidden(w, f)
    finally:
        rt.window_batch = None
    ref = torch.cat([member_hidden(m, w, f, clf.seq_len) for m in clf.model.members], dim=1)
    assert fast.shape == ref.shape and fast.dtype == torch.float32
    assert (fast - ref).abs().max() <= 1e-5
    # Each member's head on its part gives the logits of the runtime (their mean).
    d = clf.model.members[0].head.in_features
    with torch.no_grad():
        logits = torch.stack([m.head(fast[:, k * d:(k + 1) * d]) for k, m in enumerate(clf.model.members)]).mean(0)
    assert (logits - rt.logits(w, f)).abs().max() <= 1e-4
