"""Per-record adaptation, the query of beats to review, corrections files, and DS2 kept out of training."""
import shutil

import numpy as np
import pytest

from ecg_lstm.beats.aami import CLASSES, DS1, DS2, TRAIN, VALIDATION, reference_beats
from ecg_lstm.classifier.adapt import AdaptConfig, LabelError, RecordAdapter
from ecg_lstm.classifier.template_rules import template_rhythm_rules
from ecg_lstm.classifier.features import MORPH_NAMES, RR_NAMES
from ecg_lstm.beats.ec57 import confusion, ec57_stats
from ecg_lstm.classifier.predict import BeatClassifier
from ecg_lstm.io.read import read_record

#: A DS1 record held out from training (validation): the shipped model has not learnt its labels.
RECORD = "223"
assert RECORD in VALIDATION and RECORD not in TRAIN


@pytest.fixture(scope="module")
def clf():
    return BeatClassifier.load()


@pytest.fixture(scope="module")
def record(mitdb_dir):
    rec = read_record(mitdb_dir / RECORD)
    samples, labels = reference_beats(rec)
    return rec, samples, labels


@pytest.fixture(scope="module")
def adapter(clf, record):
    rec, samples, _ = record
    return RecordAdapter(clf, rec.lead(), rec.fs, samples)


def _f1(ref, pred, key):
    st = ec57_stats(confusion(ref, pred))
    se, p = st[f"{key}_Se"], st[f"{key}_P"]
    return 2 * se * p / (se + p) if se and p else 0.0


def _idx(labels):
    return np.array([CLASSES.index(x) for x in labels])


def test_plain_is_the_shipped_model(clf, record, adapter):
    rec, samples, _ = record
    labels, probs = clf.predict(rec.lead(), rec.fs, samples)
    a_labels, a_probs = adapter.plain()
    assert np.allclose(probs, a_probs, atol=1e-4) and (labels == a_labels).mean() > 0.999


def test_reviewed_beats_raise_s_and_v_f1(record, adapter):
    _, _, ref = record
    q = adapter.query(20)
    scored = np.ones(len(ref), bool)
    scored[q] = False  # a reviewed beat is not a prediction: score the others
    plain = _idx(adapter.plain()[0])
    adapted = _idx(adapter.with_labels(q, [CLASSES[i] for i in ref[q]])[0])
    for key in ("SVEB", "VEB"):
        before, after = _f1(ref[scored], plain[scored], key), _f1(ref[scored], adapted[scored], key)
        assert after > before, f"{key} F1 {after:.3f} not above the plain model's {before:.3f}"
    # Reviewed beats keep the label they were given.
    assert (_idx(adapter.with_labels(q, ref[q])[0])[q] == ref[q]).all()


def test_query_picks_the_templates_the_model_is_least_sure_of(adapter):
    t = adapter.template_table()
    n_t = t.n_templates
    q = adapter.query(n_t)
    assert len(q) == n_t and len(set(q.tolist())) == n_t and q.min() >= 0 and q.max() < adapter.n
    hit = t.beat_template[q]
    assert hit[0] == 0  # the dominant template first: it says what is normal for this patient
    # One beat per template before any template gets a second one.
    assert len(set(hit.tolist())) == n_t
    # The first beats asked about come from templates the model is less sure of than the rest.
    table = t.table.set_index("template")
    first = table.loc[np.unique(hit[1:6]), "confidence"].mean()
    rest = table.loc[[k for k in range(1, n_t) if k not in set(hit[1:6])], "confidence"].mean()
    assert first < rest
    # The least sure template of at least 10 beats is among those first five.
    sizable = table[(table["count"] >= 10) & (table.index > 0)]
    assert sizable["confidence"].idxmin() in set(hit[1:6])
    # Already reviewed beats are not asked again.
    more = adapter.query(10, exclude=q[:5])
    assert not set(more.tolist()) & set(q[:5].tolist()) and len(more) == 10


def test_unsupervised_keeps_shapes_and_changes_little(adapter):
    labels, probs = adapter.unsupervised()
    plain = adapter.plain()[0]
    assert probs.shape == (adapter.n, 5) and np.allclose(probs.sum(1), 1)
    assert 0 < (labels != plain).sum() < 0.1 * adapter.n


@pytest.mark.parametrize("n", [0, 1, 3])
def test_records_with_almost_no_beats(clf, record, n):
    rec, samples, _ = record
    ad = RecordAdapter(clf, rec.lead(), rec.fs, samples[:n])
    assert len(ad.plain()[0]) == len(ad.unsupervised()[0]) == n and len(ad.query(5)) == n
    assert list(ad.with_labels(range(min(n, 1)), ["V"] * min(n, 1))[0][:1]) == ["V"] * min(n, 1)


def test_bad_labels_are_refused_with_a_clear_error(adapter):
    with pytest.raises(LabelError, match="unknown beat label"):
        adapter.with_labels([0], ["X"])
    with pytest.raises(LabelError, match="between 0 and"):
        adapter.with_labels([adapter.n], ["N"])
    with pytest.raises(LabelError, match="twice"):
        adapter.with_labels([3, 3], ["N", "V"])
    with pytest.raises(LabelError, match="one label per beat"):
        adapter.with_labels([1, 2], ["N"])
    assert np.array_equal(adapter.with_labels([], [])[1], adapter.plain()[1])


def test_analyze_record_adapts_through_the_same_path(clf, record, adapter):
    from ecg_lstm.analyze import analyze_record

    rec, samples, ref = record
    res = analyze_record(rec, reference_beats=True, classifier=clf, rhythm=None, adapt=True)
    assert res.model["adaptation"] == "unsupervised"
    assert (res.beats["label"].to_numpy() == adapter.unsupervised()[0]).all()
    q = adapter.query(5)
    res = analyze_record(rec, reference_beats=True, classifier=clf, rhythm=None,
                         reviewed=(samples[q] + 3, np.array([CLASSES[i] for i in ref[q]])))
    assert res.model["adaptation"] == "5 reviewed beats"
    assert (res.beats["label"].to_numpy()[q] == np.array([CLASSES[i] for i in ref[q]])).all()


def test_corrections_round_trip_and_cli(tmp_path, mitdb_dir, record, adapter):
    from ecg_lstm.commands.main import main
    from ecg_lstm.beats.corrections import match_labels, read_labels, write_labels
    from ecg_lstm.beats.record_identity import record_identity

    rec, samples, ref = record
    q = np.sort(adapter.query(8))
    given = np.array([CLASSES[i] for i in ref[q]])
    for ext in ("hea", "dat", "atr"):
        shutil.copy(mitdb_dir / f"{RECORD}.{ext}", tmp_path / f"{RECORD}.{ext}")
    path = write_labels(tmp_path, RECORD, samples[q], given, rec.fs, identity=record_identity(rec))
    assert path.name == f"{RECORD}.cor"
    s, lab = read_labels(tmp_path / RECORD, record=read_record(tmp_path / RECORD))
    assert np.array_equal(s, samples[q]) and np.array_equal(lab, given)
    # The reference-annotation reader sees the same AAMI classes (S is written as "A").
    back = reference_beats(read_record(tmp_path / RECORD, annotator="cor"))
    assert np.array_equal(back[0], samples[q]) and np.array_equal(back[1], ref[q])
    di, dl = match_labels(samples, s + 5, lab, rec.fs)
    assert np.array_equal(di, q) and np.array_equal(dl, given)
    with pytest.raises(ValueError, match="unknown beat label"):
        write_labels(tmp_path, RECORD, [10], ["A"], rec.fs)
    out = tmp_path / "out"
    assert main(["analyze", str(tmp_path / RECORD), "--out-dir", str(out), "--reference-beats", "--labels", "cor"]) == 0
    import json

    import pandas as pd

    assert json.loads((out / f"{RECORD}.json").read_text())["model"]["adaptation"] == "8 reviewed beats"
    assert (pd.read_csv(out / f"{RECORD}.csv")["label"].to_numpy()[q] == given).all()
    # A record without a corrections file fails alone, with the reason.
    assert main(["analyze", str(tmp_path / RECORD), "--out-dir", str(out), "--labels", "nope"]) == 1


def test_ds2_never_enters_training(tmp_path):
    from ecg_lstm.evaluation.adapt_select import FOLDS, check_ds1
    from ecg_lstm.classifier.reviewed_beats import check_not_evaluation
    from ecg_lstm.classifier.train import TrainConfig, train
    from ecg_lstm.beats.corrections import write_labels

    # The DS1 design folds and held-out records are DS1, and none of them is DS2.
    assert sorted(sum(map(list, FOLDS), []) + list(VALIDATION)) == sorted(DS1)
    with pytest.raises(ValueError, match="DS2"):
        check_ds1(["101", "232"])
    with pytest.raises(ValueError, match="DS2"):
        check_not_evaluation(["mypatient", "232"])
    check_not_evaluation(["mypatient", "101"])  # a DS1 training record or a new patient is fine
    # Corrections that name a DS2 record stop training before anything is read or written.
    write_labels(tmp_path / "cor", "232", [100, 400], ["S", "N"], 360.0)
    write_labels(tmp_path / "cor", "mypatient", [100], ["N"], 360.0)
    with pytest.raises(ValueError, match=r"\['232'\]"):
        train(TrainConfig(corrections=str(tmp_path / "cor"), epochs=1, seeds=[1]), tmp_path / "run")
    assert not (tmp_path / "run").exists()
    with pytest.raises(ValueError, match="DS2"):
        train(TrainConfig(records=["101", DS2[0]], epochs=1, seeds=[1]), tmp_path / "run")


def test_a_renamed_ds2_record_is_refused(tmp_path, mitdb_dir):
    from ecg_lstm.classifier.reviewed_beats import load_corrections
    from ecg_lstm.beats.corrections import write_labels

    for ext in ("hea", "dat"):
        text = (mitdb_dir / f"232.{ext}").read_bytes()
        (tmp_path / f"p2.{ext}").write_bytes(text.replace(b"232 ", b"p2 ", 1).replace(b"232.dat", b"p2.dat")
                                             if ext == "hea" else text)
    write_labels(tmp_path, "p2", [1000], ["S"], 360.0)
    with pytest.raises(ValueError, match="evaluation record 232"):
        load_corrections(tmp_path, mitdb_dir)


def test_corrected_record_labels_only_reviewed_beats(tmp_path, mitdb_dir):
    from ecg_lstm.classifier.reviewed_beats import IGNORE, load_corrections
    from ecg_lstm.beats.corrections import write_labels

    # A DS1 training record under a new name, with 10 reviewed beats.
    rec = read_record(mitdb_dir / "101")
    samples, ref = reference_beats(rec)
    for ext in ("hea", "dat"):
        text = (mitdb_dir / f"101.{ext}").read_bytes()
        (tmp_path / f"p1.{ext}").write_bytes(text.replace(b"101 ", b"p1 ", 1).replace(b"101.dat", b"p1.dat") if ext == "hea" else text)
    write_labels(tmp_path, "p1", samples[100:110], [CLASSES[i] for i in ref[100:110]], rec.fs)
    bs = load_corrections(tmp_path, mitdb_dir)
    assert bs.records == ["p1"] and abs(len(bs.labels) - len(samples)) < 20
    assert (bs.labels != IGNORE).sum() == 10
    assert np.isin(samples[100:110], bs.samples).all()
    assert np.array_equal(bs.labels[np.searchsorted(bs.samples, samples[100:110])], ref[100:110])


def test_unsupervised_adaptation_beats_the_plain_model_on_ds1_validation(clf, mitdb_dir):
    """The verdict behind `--adapt` being on in the dashboard: on the held-out DS1 records the
    mean of the SVEB and VEB F1 is higher adapted than plain (86.8 -> 91.3 with the rhythm rules,
    89.1 with template pooling alone)."""
    from ecg_lstm.evaluation.adapt_select import score
    from ecg_lstm.evaluation.beat_classifier import evaluate_adaptation

    res = evaluate_adaptation(clf, mitdb_dir, VALIDATION, ks=(), exclude_from_gross=())
    g = score([res])
    assert g["adapted"]["score"] > g["automatic"]["score"] + 0.01
    assert g["adapted"]["accuracy"] >= g["automatic"]["accuracy"]


def _features(n):
    """Per-beat features of a clean sinus record: on time, the dominant QRS and P wave."""
    f = np.zeros((n, len(RR_NAMES) + len(MORPH_NAMES)), np.float32)
    col = {name: i for i, name in enumerate(RR_NAMES + MORPH_NAMES)}
    f[:, col["corr_qrs"]], f[:, col["corr_p"]], f[:, col["irreg_median"]] = 0.99, 0.95, 0.02
    return f, col


def test_rhythm_rules_on_a_synthetic_record():
    """Premature beats of the dominant QRS are S evidence; the same RR in fibrillation is not;
    a wide early beat with a compensatory pause is V evidence."""
    f, col = _features(400)
    tpl = np.zeros(400, np.int64)
    aps = np.arange(20, 100, 10)                      # premature, same QRS: atrial premature beats
    f[aps, col["log_pre_local"]], f[aps, col["log_post_local"]] = -0.3, 0.1
    pvc = aps + 1                                     # another QRS, early, then a compensatory pause
    f[pvc, col["corr_qrs"]], f[pvc, col["log_width_ratio"]] = 0.3, 0.7
    f[pvc, col["log_pre_local"]], f[pvc, col["log_post_local"]] = -0.3, 0.3
    af = np.arange(200, 400)                          # fibrillation: no P wave, irregular RR
    f[af, col["corr_p"]], f[af, col["irreg_median"]] = 0.0, 0.3
    f[af[::3], col["log_pre_local"]] = -0.3
    tpl[aps], tpl[pvc], tpl[af] = 1, 2, 3
    ev = template_rhythm_rules(f, tpl)
    assert ev.fibrillation[af].all() and not ev.fibrillation[:150].any()
    assert ev.supraventricular[aps].min() > 0.9 and ev.supraventricular[pvc].max() == 0
    assert ev.supraventricular[af].max() == 0 and ev.supraventricular[150:200].max() < 0.1
    assert ev.ventricular[pvc].min() > 0.9 and ev.ventricular[aps].max() == 0
    assert ev.dominant[150:200].min() > 0.9 and ev.dominant[pvc].max() == 0


def test_rhythm_rules_raise_s_f1_where_premature_narrow_beats_exist(record, adapter, clf):
    """223 (DS1, held out) has 73 atrial premature beats with the sinus QRS: the rhythm rules find
    more of them than the plain model or template pooling alone (F1 0.69 and 0.72 before, 0.78 when chosen)."""
    rec, samples, ref = record
    pooled = RecordAdapter(clf, rec.lead(), rec.fs, samples, AdaptConfig(unsupervised_method="pooling"))
    rules = _f1(ref, _idx(adapter.unsupervised()[0]), "SVEB")
    assert adapter.config.unsupervised_method == "rhythm"
    assert rules > _f1(ref, _idx(pooled.unsupervised()[0]), "SVEB") + 0.03
    assert rules > _f1(ref, _idx(adapter.plain()[0]), "SVEB") + 0.03
    assert _f1(ref, _idx(adapter.unsupervised()[0]), "VEB") >= _f1(ref, _idx(adapter.plain()[0]), "VEB")


def test_unknown_unsupervised_method_is_refused(clf, record):
    rec, samples, _ = record
    ad = RecordAdapter(clf, rec.lead(), rec.fs, samples[:50], AdaptConfig(unsupervised_method="magic"))
    with pytest.raises(ValueError, match="unknown unsupervised_method"):
        ad.unsupervised()
