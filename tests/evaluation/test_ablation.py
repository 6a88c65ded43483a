"""The ablation study's driver (ecg_lstm.evaluation.ablation): its command line, its variants,
and what it writes, with the training and the DS2 scoring replaced by stand-ins (no training)."""
import json
from dataclasses import fields

import pytest

from ecg_lstm.beats.aami import DS2
from ecg_lstm.classifier.model import ModelConfig
from ecg_lstm.evaluation import ablation


def test_help_exits_0_and_names_ds2(capsys):
    with pytest.raises(SystemExit) as e:
        ablation.main(["--help"])
    assert e.value.code == 0
    out = capsys.readouterr().out
    assert "DS2" in out
    for option in ("--data-dir", "--epochs", "--runs", "--out"):
        assert option in out


def test_bad_option_exits_2(capsys):
    with pytest.raises(SystemExit) as e:
        ablation.main(["--epochs", "many"])
    assert e.value.code == 2
    assert "--epochs" in capsys.readouterr().err


def test_variants_switch_off_one_part_each():
    """The full model changes nothing; every other variant turns off exactly one of the three
    ablation switches, each a real ModelConfig field (from_dict would silently drop a misspelt one)."""
    names = {f.name for f in fields(ModelConfig)}
    switches = {"use_context", "use_rr", "use_wave"}
    assert switches <= names
    models = list(ablation.VARIANTS.values())
    assert models[0] == {}
    assert sorted(k for m in models[1:] for k in m) == sorted(switches)
    default = ModelConfig()
    for m in models[1:]:
        assert set(m) <= names and list(m.values()) == [False]
        cfg = ModelConfig.from_dict({**default.to_dict(), **m})
        changed = {k for k in switches if getattr(cfg, k) != getattr(default, k)}
        assert changed == set(m)


def test_main_writes_one_row_per_variant(tmp_path, monkeypatch, capsys):
    """With stand-ins for training and scoring: each variant trains in its own run folder with the
    given epochs and its model switches, is scored on DS2 at reference beats, and the JSON and the
    Markdown table get one row per variant, in order, carrying the stand-ins' numbers."""
    trained, scored = [], []

    def fake_train(cfg, run, data_dir, quiet):
        k = len(trained)
        trained.append((cfg, run, data_dir, quiet))
        return {"epochs_run": [cfg.epochs], "best_epoch": [k + 1], "train_time_s": 10.0 * (k + 1),
                "validation": {"calibrated": {"score": 0.5 + k / 10}}}

    def fake_load(path):
        return ("model", path)

    def fake_evaluate(clf, data_dir, records, end_to_end):
        k = len(scored)
        scored.append((clf, data_dir, records, end_to_end))
        return {"reference": {"accuracy": 0.9 - k / 100, "VEB_Se": 0.8, "VEB_P": 0.7, "SVEB_Se": None,
                              "SVEB_P": 0.6, "ece": 0.01 * (k + 1)}}

    monkeypatch.setattr(ablation, "train", fake_train)
    monkeypatch.setattr(ablation.BeatClassifier, "load", staticmethod(fake_load))
    monkeypatch.setattr(ablation, "evaluate", fake_evaluate)
    runs, out = tmp_path / "runs", tmp_path / "reports"
    assert ablation.main(["--data-dir", str(tmp_path / "data"), "--epochs", "3", "--runs", str(runs),
                          "--out", str(out)]) == 0

    n = len(ablation.VARIANTS)
    assert [t[1] for t in trained] == [runs / f"variant{i}" for i in range(n)]
    assert [t[0].model for t in trained] == list(ablation.VARIANTS.values())
    assert all(t[0].epochs == 3 and t[3] is True for t in trained)
    assert [s[0] for s in scored] == [("model", runs / f"variant{i}" / "beat_lstm.pt") for i in range(n)]
    assert all(list(s[2]) == list(DS2) and s[3] is False for s in scored)

    rows = json.loads((out / "ablation.json").read_text())
    assert [r["variant"] for r in rows] == list(ablation.VARIANTS)
    assert [r["best_epoch"] for r in rows] == list(range(1, n + 1))
    assert [r["accuracy"] for r in rows] == pytest.approx([0.9 - k / 100 for k in range(n)])
    assert all(r["epochs"] == 3 for r in rows)
    md = (out / "ablation.md").read_text().splitlines()
    assert len(md) == 2 + n and "DS2 acc" in md[0]
    assert md[2].startswith(f"| {list(ablation.VARIANTS)[0]} | 90.0 | 80.0 | 70.0 | – | 60.0 | 0.010 | 10 |")
