"""What the models' files say, as numbers (ecg_lstm.report.model_card): the shipped reports are
parsed, and the figures compared with the rows of the file's own text."""
from __future__ import annotations

import json
import re

import pytest

from ecg_lstm.paths import MODELS_DIR
from ecg_lstm.report import model_card


def _first_row(text: str, name: str) -> list[str]:
    """The cells after the name of the first table row named ``name`` in ``text``."""
    m = re.search(r"^\| " + re.escape(name) + r" \|(.*)\|$", text, re.M)
    assert m, f"no row {name!r} in the file"
    return [c.strip() for c in m.group(1).split("|")]


def _header_above(text: str, name: str) -> list[str]:
    """The header cells (after the first) of the table holding the first row named ``name``."""
    lines = text.splitlines()
    i = next(i for i, line in enumerate(lines) if line.startswith(f"| {name} |"))
    while lines[i - 1].startswith("|"):
        i -= 1
    return [c.strip() for c in lines[i].strip()[1:-1].split("|")][1:]


def test_ds2_figures_are_those_of_the_shipped_report():
    text = (MODELS_DIR / "EVALUATION.md").read_text(encoding="utf-8")
    figs = model_card.ds2_figures()
    assert "reference beats" in figs and "end to end (detected beats)" in figs
    for name, got in figs.items():
        head, cells = _header_above(text, name), _first_row(text, name)
        want = {h: float(c) for h, c in zip(head, cells) if re.fullmatch(r"[0-9.]+", c)}
        assert got == want, name  # each protocol keeps the figures of its first row
    assert figs["reference beats"]["SVEB Se"] == float(_first_row(text, "reference beats")[2])
    # Targets, published methods and per-record rows are not protocols of our model.
    assert not [n for n in figs if n.lower().startswith("target") or "et al" in n or n.isdigit()]


def test_the_protocol_shown_is_the_one_that_labelled_the_record():
    figs = model_card.ds2_figures()
    assert model_card.protocol_row(figs, "reference")[0] == "reference beats"
    assert model_card.protocol_row(figs, "detected")[0] == "end to end (detected beats)"
    name, row = model_card.protocol_row(figs, "detected", adapted=True)
    assert "adapt" in name and "default" in name and row == figs[name]
    assert all("review" not in model_card.protocol_row(figs, s, a)[0] for s in ("reference", "detected")
               for a in (False, True))
    assert model_card.protocol_row({}, "reference") is None


def test_rhythm_figures_are_the_first_protocols_gross_column():
    text = (MODELS_DIR / "RHYTHM_EVALUATION.md").read_text(encoding="utf-8")
    figs = model_card.rhythm_figures()
    for name in ("AF duration sensitivity", "AF duration positive predictivity", "AF episode sensitivity"):
        assert figs[name] == float(_first_row(text, name)[0].rstrip("%"))


def test_training_records_from_the_settings_files():
    cfg = json.loads((MODELS_DIR / "beat_lstm.json").read_text())
    train = cfg.get("train") or {}
    want = {str(r) for r in (cfg.get("train_records") or []) + (train.get("records") or [])
            + (train.get("val_records") or [])}
    got = model_card.training_records()
    assert got["beat"] == want and "106" in got["beat"]  # a validation record counts: the model saw it


def test_tables_and_numbers():
    text = "x\n\n| a | b |\n|---|:-:|\n| 1 | 2% |\n\ntext\n| c |\n|---|\n| – |\n"
    assert model_card.markdown_tables(text) == [[["a", "b"], ["1", "2%"]], [["c"], ["–"]]]
    assert model_card.number("86.0%") == 86.0 and model_card.number("–") is None


def test_missing_files_give_empty_results(tmp_path):
    assert model_card.ds2_figures(tmp_path) == {}
    assert model_card.rhythm_figures(tmp_path) == {}
    assert model_card.training_records(tmp_path) == {}
    assert model_card.training_histories(tmp_path / "absent") == {}


def test_training_histories(tmp_path):
    (tmp_path / "beat_history.json").write_text('[{"epoch": 1, "loss": 1.0}, {"epoch": 2, "loss": 0.5}]')
    (tmp_path / "rhythm_lstm.json").write_text('{"history": {"loss": [3, 2]}}')
    (tmp_path / "beat_lstm.json").write_text('{"classes": ["N"]}')  # settings without a history
    (tmp_path / "bad_history.json").write_text("{not json")
    assert model_card.training_histories(tmp_path) == {"beat_history": {"loss": [1.0, 0.5]},
                                                       "rhythm_lstm": {"loss": [3, 2]}}


@pytest.mark.parametrize("row", ["| target | 95 | 95 | 85 | 70 | 96 |", "| de Chazal et al. 2004 | 1 | 2 | 3 | 4 | 5 |"])
def test_targets_and_published_methods_are_not_our_figures(tmp_path, row):
    (tmp_path / "EVALUATION.md").write_text("| | VEB Se | VEB +P | SVEB Se | SVEB +P | Accuracy |\n|---|---|---|---|---|---|\n"
                                            f"| ours | 1 | 2 | 3 | 4 | 5 |\n{row}\n")
    assert list(model_card.ds2_figures(tmp_path)) == ["ours"]
