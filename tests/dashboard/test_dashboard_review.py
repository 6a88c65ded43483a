"""The dashboard as a review station, through Streamlit's AppTest: the record never
switches without an explicit action, record text stays plain text, the page says what
the model's labels are worth, class encoding and contrast hold without colour vision,
the live alarm can be silenced; templates are corrected, saved and read back.

Records are 2-minute cuts of MIT-BIH records written to a temporary folder.
"""
from __future__ import annotations

import io
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("streamlit")
import wfdb  # noqa: E402
from streamlit.testing.v1 import AppTest  # noqa: E402
from tests.dashboard.test_dashboard import _app as dashboard_app, _cut  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
#: Markdown that makes a browser fetch an address if it is rendered as Markdown.
HOSTILE = "![x](http://127.0.0.1:9/p.png)"




@pytest.fixture(scope="module")
def cuts(mitdb_dir, tmp_path_factory) -> Path:
    """c100, c106, c208, c232 (2 min each, with reference annotations)."""
    out = tmp_path_factory.mktemp("review_cuts")
    for name in ("100", "106", "208", "232"):
        _cut(mitdb_dir, name, out)
    return out


def _files(stem: Path, exts=("hea", "dat", "atr")) -> list[tuple[str, bytes, str]]:
    return [(f"{stem.name}.{e}", Path(f"{stem}.{e}").read_bytes(), "application/octet-stream") for e in exts
            if Path(f"{stem}.{e}").exists()]


def _app(monkeypatch, data_dir: Path | None = None) -> AppTest:
    return dashboard_app(monkeypatch, data_dir, timeout=120)


def _run(at: AppTest) -> AppTest:
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _elsewhere(monkeypatch, folder: Path) -> None:
    """What follows runs as on another computer: a study store of its own (the page keeps every record
    it opens as a study, so on the same computer a record opens with the corrections made before)."""
    from dashboard import review_session, studies_session

    monkeypatch.setenv("ECG_STUDY_FILES", str(folder / f"elsewhere-{len(list(folder.glob('elsewhere-*')))}"))
    studies_session._open_store.clear()
    review_session.relabelled.clear()


def _upload(at: AppTest, files) -> AppTest:
    at.file_uploader(key="upload").set_value(files)
    return _run(at)


def _open_local(at: AppTest, name: str) -> AppTest:
    at.selectbox(key="local_name").select(name)
    at.button(key="local_open").click()
    return _run(at)


def _open_tab(at: AppTest, label: str) -> AppTest:
    at.session_state["main_tabs"] = label
    return _run(at)


def _markdown_texts(at: AppTest) -> list[str]:
    """The Markdown source of every element that renders Markdown (text, captions, alerts,
    headings, metric labels and help)."""
    out = [m.value for m in at.markdown] + [c.value for c in at.caption]
    for kind in ("error", "warning", "info", "success", "title", "header", "subheader"):
        out += [str(e.value) for e in at.get(kind)]
    out += [f"{m.label} {m.value} {m.proto.help}" for m in at.metric]
    return out


# --- 9. never switch the record without an explicit action -----------------------------

def test_record_switches_only_on_an_explicit_action(monkeypatch, cuts):
    """Upload 106, open local 232, pick 100 in the list without Open: the page stays on 232."""
    at = _upload(_app(monkeypatch, cuts), _files(cuts / "c106"))
    assert at.session_state["analysis"].record.name == "c106"
    at = _open_local(at, "c232")
    assert at.session_state["analysis"].record.name == "c232"
    at.selectbox(key="local_name").select("c100")
    at = _run(at)
    assert at.session_state["analysis"].record.name == "c232"
    assert "c232" in at.session_state["source_label"]
    at = _run(at)  # any later rerun (a slider, a tab) keeps it too
    assert at.session_state["analysis"].record.name == "c232"
    # Removing the upload and adding the same files again is an action: 106 opens.
    at.file_uploader(key="upload").set_value([])
    at = _run(at)
    assert at.session_state["analysis"].record.name == "c232"
    at = _upload(at, _files(cuts / "c106"))
    assert at.session_state["analysis"].record.name == "c106"


# --- 9. record text is plain text -----------------------------------------------------

def _no_record_markdown(at: AppTest, text: str, any_image: bool = True) -> None:
    """``text`` in no Markdown element; with ``any_image``, no Markdown image or remote link at all
    (not on the Model tab, whose card, the project's own text, has its figures)."""
    for md in _markdown_texts(at):
        assert text not in md, md
        if any_image:
            assert "![" not in md and "](http" not in md and "<img" not in md, md


def _hostile_wfdb(tmp: Path) -> list:
    """A WFDB record whose lead name and header comment are Markdown/HTML images."""
    x = np.sin(np.arange(360 * 60) / 360 * 2 * np.pi * 1.2) ** 40 * 1.2
    wfdb.wrsamp("hostile", fs=360, units=["mV"], sig_name=[HOSTILE], p_signal=x[:, None], fmt=["16"],
                comments=["<img src=http://127.0.0.1:9/c.png> " + HOSTILE], write_dir=str(tmp))
    return _files(tmp / "hostile", ("hea", "dat"))


def _hostile_csv() -> list:
    x = np.arange(250 * 60) / 250.0
    ecg = np.sin(2 * np.pi * 1.2 * x) ** 40 * 1.2
    return [("strip.csv", (HOSTILE + "\n" + "\n".join(f"{v:.4f}" for v in ecg)).encode(), "text/csv")]


@pytest.mark.parametrize("kind", ["wfdb", "csv"])
def test_record_text_with_markdown_is_plain_text(monkeypatch, tmp_path, kind):
    """Issue 10 item 7: a lead name (or comment) holding a Markdown image must not reach any
    Markdown element as it is (the browser would fetch the address)."""
    at = _app(monkeypatch)
    at.number_input(key="csv_fs").set_value(250.0)
    at = _upload(at, _hostile_wfdb(tmp_path) if kind == "wfdb" else _hostile_csv())
    assert not at.error, [e.value for e in at.error]
    rec = at.session_state["analysis"].record
    texts = list(rec.lead_names) + list(rec.units) + [str(c) for c in rec.metadata.get("comments") or []]
    texts = [t for t in texts if "![" in t or "<" in t]  # the hostile ones ("mV" is on the model card too)
    assert texts  # the record does carry the hostile text
    from dashboard.markdown_text import md_escape

    for tab in ("Events", "Review", "Live monitor", "Export", "Rhythm & HRV", "Reference comparison", "Model"):
        at = _open_tab(at, tab)
        for t in texts:
            _no_record_markdown(at, t, any_image=tab != "Model")
    # The lead name is still on the page, escaped: it renders literally.
    assert any(md_escape(rec.lead_names[0]) in md for md in _markdown_texts(at))
    if kind == "wfdb":  # the header comment is shown as plain text
        assert any(HOSTILE in t.value for t in at.text)


def test_file_name_with_markdown_in_an_error_is_plain_text(monkeypatch):
    at = _upload(_app(monkeypatch), [("![x](p.png).docx", b"not a record", "application/octet-stream")])
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and "docx" in errors[0]
    _no_record_markdown(at, "![x](p.png)")


def test_md_escape_renders_literally():
    MarkdownIt = pytest.importorskip("markdown_it").MarkdownIt  # noqa: N806 (a class)

    from dashboard.markdown_text import md_escape

    for text in (HOSTILE, "<img src=x onerror=alert(1)>", ":red[lead] $x^2$ **b** `c` [l](http://h/)", "a\nb"):
        html = MarkdownIt("commonmark").render(md_escape(text))
        assert "<img" not in html and "<a " not in html and "<strong>" not in html and "<code>" not in html
    assert md_escape("MLII") == "MLII"
    # No autolink either (GitHub-style autolinks are found in the parsed text, past the escapes).
    for text in (HOSTILE, "see www.example.org", "mail a@b.org"):
        plain = md_escape(text).replace("\\", "")
        assert "://" not in plain and "www." not in plain and "@b" not in plain
        assert plain.replace("\u2060", "") == text


# --- 8. honesty on the page -----------------------------------------------------------

def test_training_record_warned_and_ds2_figures_shown(monkeypatch, mitdb_dir, tmp_path):
    from ecg_lstm.report import model_card

    trained = model_card.training_records()
    if "106" not in trained.get("beat", set()):
        pytest.skip("the shipped beat model does not list 106 among its training records")
    folder = tmp_path / "recs"
    folder.mkdir()
    _cut(mitdb_dir, "106", folder, new_name="106")
    _cut(mitdb_dir, "100", folder, new_name="100")
    at = _open_local(_app(monkeypatch, folder), "106")
    warnings = [w.value for w in at.warning]
    assert any("trained on" in w and "DS1" in w for w in warnings), warnings
    # The figures shown are those of models/EVALUATION.md for this protocol (detected beats,
    # adapted to the record or not, as the page labelled them).
    adapted = bool(at.session_state["analysis_plain"].model.get("adaptation"))
    name, figs = model_card.protocol_row(model_card.ds2_figures(), "detected", adapted=adapted)
    captions = " ".join(c.value for c in at.caption)
    assert f"SVEB Se {figs['SVEB Se']:.1f}" in captions and name in captions
    at = _open_local(at, "100")  # a DS2 record: no warning
    assert not any("trained on" in w.value for w in at.warning)


def test_ds2_figures_read_from_the_evaluation_file(tmp_path):
    from ecg_lstm.report import model_card

    (tmp_path / "EVALUATION.md").write_text(
        "# x\n\n## Gross\n\n| | VEB Se | VEB +P | SVEB Se | SVEB +P | Accuracy |\n|---|---|---|---|---|---|\n"
        "| reference beats | 91.0 | 90.0 | 40.5 | 30.0 | 93.0 |\n| automatic, adapted (reference beats) | 95.5 | 95.1 "
        "| 80.0 | 70.2 | 96.0 |\n| target | 95 | 95 | 85 | 70 | 96 |\n| de Chazal et al. 2004 | 77.7 | 81.9 | 75.9 "
        "| 38.5 | – |\n")
    figs = model_card.ds2_figures(tmp_path)
    assert set(figs) == {"reference beats", "automatic, adapted (reference beats)"}
    assert figs["reference beats"]["SVEB Se"] == 40.5
    assert model_card.protocol_row(figs, "reference")[0] == "reference beats"
    assert model_card.protocol_row(figs, "reference", adapted=True)[0].startswith("automatic, adapted")
    # Protocol tables after the first add rows; per-record tables and reviewer protocols are not protocols
    # of automatic labels.
    with (tmp_path / "EVALUATION.md").open("a") as f:
        f.write("\n| protocol | beats scored | VEB Se | VEB +P | SVEB Se | SVEB +P | Accuracy |\n|---|---|---|---|---|---|---|\n"
                "| automatic, adapted, rules (default of --adapt) | 10 | 93 | 94 | 25 | 28 | 93 |\n"
                "| reviewer in the loop, k = 20 beats | 9 | 97 | 99 | 90 | 95 | 99 |\n"
                "| reference beats | 1 | 1 | 1 | 1 | 1 | 1 |\n\n"
                "| record | VEB Se | VEB +P | SVEB Se | SVEB +P |\n|---|---|---|---|---|\n| 100 | 1 | 2 | 3 | 4 |\n")
    figs = model_card.ds2_figures(tmp_path)
    assert figs["reference beats"]["SVEB Se"] == 40.5 and "100" not in figs
    assert model_card.protocol_row(figs, "detected", adapted=True)[0] == "automatic, adapted, rules (default of --adapt)"
    assert "review" not in model_card.protocol_row(figs, "reference")[0]
    assert model_card.ds2_figures(tmp_path / "missing") == {}
    (tmp_path / "beat_lstm.json").write_text('{"train": {"records": ["101"], "val_records": ["106"]}}')
    assert model_card.training_records(tmp_path) == {"beat": {"101", "106"}}


def _beats(t, labels):
    return pd.DataFrame({"sample": (np.asarray(t) * 360).astype(int), "time_s": t, "label": labels})


def test_hrv_applicability():
    from ecg_lstm.findings.hrv import hrv_applicability

    t = np.cumsum(np.full(600, 0.8) + np.random.default_rng(0).normal(0, 0.02, 600))
    dur = float(t[-1] + 1)
    sinus = hrv_applicability(_beats(t, ["N"] * 600), None, dur)
    assert sinus["applicable"] and sinus["nn_share_pct"] > 95
    af = pd.DataFrame({"label": ["AFIB"], "start_s": [0.0], "end_s": [dur]})
    out = hrv_applicability(_beats(t, ["N"] * 600), af, dur)
    assert not out["applicable"] and "fibrillation" in out["reason"]
    bigeminy = hrv_applicability(_beats(t, ["N", "V"] * 300), None, dur)
    assert not bigeminy["applicable"] and bigeminy["nn_share_pct"] < 5
    assert not hrv_applicability(_beats(t, [""] * 600), None, dur)["applicable"]


def test_hrv_not_applicable_on_the_page(monkeypatch, cuts):
    from ecg_lstm.findings.hrv import hrv_applicability

    at = _upload(_app(monkeypatch), _files(cuts / "c208"))  # bigeminy: most intervals touch a PVC
    a = at.session_state["analysis"]
    card = next(m.value for m in at.metric if m.label == "SDNN / RMSSD")
    if hrv_applicability(a.beats, a.rhythm_episodes, a.record.duration_s)["applicable"]:
        pytest.skip("the classifier finds 208's first 2 minutes sinus enough")
    assert card == "not applicable"
    assert any("HRV not applicable" in c.value for c in at.caption)


# --- 10. colour-blind safe, contrast, a silent alarm ---------------------------------

def _luminance(hex_colour: str) -> float:
    h = hex_colour.lstrip("#")
    h = "".join(c * 2 for c in h) if len(h) == 3 else h
    rgb = [int(h[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def app_css() -> str:
    """The page's style sheet, as dashboard/app.py sets it."""
    return re.search(r'CSS = """(.*?)"""', (ROOT / "dashboard" / "app.py").read_text(), re.S).group(1)


def contrast(a: str, b: str) -> float:
    """WCAG 2 contrast ratio of two colours."""
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def test_label_colours_have_contrast():
    from dashboard import trace

    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)
    for c, colour in trace.CLASS_COLOURS.items():
        for bg in ("#ffffff", trace.PAPER):
            assert contrast(colour, bg) >= 4.5, (c, colour, bg)
    # The alarm banners: text on its background.
    for cls in ("ecg-alarm", "ecg-ok", "ecg-silenced"):
        rule = re.search(r"\." + cls + r"\{([^}]*)\}", app_css()).group(1)
        fg = re.search(r"(?:^|;)\s*color:(#[0-9a-f]{3,6})\b", rule).group(1)
        bg = re.search(r"background:(#[0-9a-f]{3,6})\b", rule).group(1)
        assert contrast(fg, bg) >= 4.5, (cls, fg, bg)


def test_nothing_blinks():
    css = app_css()
    assert "blink" not in css and "@keyframes" not in css
    assert "prefers-reduced-motion" in css


def test_classes_encoded_by_shape_as_well_as_colour():
    from dashboard import trace
    from ecg_lstm.report import figures as summaries

    t = np.arange(1, 41) * 0.8
    labels = ["N", "S", "N", "V", "N", "F", "N", "Q"] * 5
    beats = _beats(t, labels)
    for fig in (trace.tachogram(summaries.rr_series(beats)), trace.poincare(summaries.poincare(beats))):
        classes = [tr for tr in fig.data if tr.mode == "markers"]
        assert len(classes) >= 4
        symbols = [tr.marker.symbol for tr in classes]
        assert len(set(symbols)) == len(symbols), symbols
        assert all(re.match(r"[NSVFQ?] ", tr.name) for tr in classes)  # the letter in the legend
    meds = {c: {"t_ms": np.linspace(-200, 400, 50), "median": np.sin(np.linspace(0, 3, 50)) * (i + 1), "n": 3}
            for i, c in enumerate("NSV")}
    fig = trace.median_beats(meds)
    dashes = [tr.line.dash for tr in fig.data]
    assert len(set(dashes)) == 3
    assert sorted(a.text for a in fig.layout.annotations) == ["<b>N</b>", "<b>S</b>", "<b>V</b>"]


# --- 1, 2. template review, corrections kept --------------------------------------------

def _review_tab(at: AppTest) -> AppTest:
    return _open_tab(at, "Review")


def test_template_relabel_undo_and_adapt(monkeypatch, cuts):
    from dashboard import review_session

    at = _review_tab(_upload(_app(monkeypatch), _files(cuts / "c232")))
    plain = at.session_state["analysis"]
    key = at.session_state["record_key"]
    ad = review_session.adapter(key, plain)
    T = ad.template_table()
    t = int(at.selectbox(key="review_template").value)
    members = np.flatnonzero(T.beat_template == t)
    new = next(c for c in "VSN" if (plain.beats["label"].to_numpy()[members] != c).any())
    at.button(key=f"template_as_{new}").click()
    at = _run(at)
    a = at.session_state["analysis"]
    assert a is not plain and at.session_state["record_key"] == key
    assert (a.beats["label"].to_numpy()[members] == new).all()
    assert a.beats["reviewed"].sum() == len(members)
    others = np.setdiff1d(np.arange(len(a.beats)), members)
    assert (a.beats["label"].to_numpy()[others] == plain.beats["label"].to_numpy()[others]).all()  # not adapted yet
    # The page shows the relabelled record: the overview counts follow.
    assert a.vitals["beat_counts"][new] == int((a.beats["label"] == new).sum())
    assert any(f"Labels from {len(members):,} beats labelled by the reviewer" in c.value for c in at.caption)
    assert at.session_state["analysis_key"] != key  # caches keyed on it see the new labels
    # Adapt: the rest is relabelled from the reviewed beats, as the library does it.
    at.button(key="review_adapt").click()
    at = _run(at)
    b = at.session_state["analysis"]
    want, _ = ad.with_labels(members, [new] * len(members))
    assert list(b.beats["label"]) == list(want)
    assert "adapted" in b.model["beat_classifier"]
    # Undo twice: back to the model's labels.
    for _ in range(2):
        at.button(key="review_undo").click()
        at = _run(at)
    c = at.session_state["analysis"]
    assert list(c.beats["label"]) == list(plain.beats["label"]) and "reviewed" not in c.beats
    assert at.session_state["analysis_key"] == key


def test_single_beat_from_the_review_list(monkeypatch, cuts):
    at = _review_tab(_upload(_app(monkeypatch), _files(cuts / "c208")))
    at.button(key="review_next").click()
    at = _run(at)
    sel = at.session_state["selected_beat"]
    a = at.session_state["analysis"]
    assert sel == at.session_state["review_query"][0]
    assert at.slider(key="trace_center_s").value == pytest.approx(a.beats["time_s"].iloc[sel], abs=1.0)
    new = "Q" if a.beats["label"].iloc[sel] != "Q" else "N"
    at.button(key=f"beat_as_{new}").click()
    at = _run(at)
    b = at.session_state["analysis"]
    assert b.beats["label"].iloc[sel] == new and b.beats["reviewed"].sum() == 1
    # A beat selected on the trace (session state set by the trace) is relabelled the same way.
    at.session_state["selected_beat"] = 3
    at = _run(at)
    at.button(key="beat_as_F").click()
    at = _run(at)
    assert at.session_state["analysis"].beats["label"].iloc[3] == "F"
    assert at.session_state["analysis"].beats["reviewed"].sum() == 2


def _correct_some(at: AppTest) -> tuple[AppTest, dict]:
    """Relabel the first template as V and one single beat as S; returns the corrections."""
    at = _review_tab(at)
    at.button(key="template_as_V").click()
    at = _run(at)
    at.session_state["selected_beat"] = 1
    at = _run(at)
    at.button(key="beat_as_S").click()
    at = _run(at)
    rev = at.session_state["reviews"][at.session_state["record_key"]]
    assert len(rev["corrections"]) >= 2
    return at, dict(rev["corrections"])


def test_corrections_saved_and_reopened_with_an_upload(monkeypatch, cuts, tmp_path):
    from ecg_lstm import review

    at, corrections = _correct_some(_upload(_app(monkeypatch), _files(cuts / "c232")))
    a = at.session_state["analysis"]
    rev = at.session_state["reviews"][at.session_state["record_key"]]
    assert at.get("download_button")  # Save corrections in the review tab
    cor = review.corrections_bytes(a, rev)
    # A WFDB annotation file of the reviewed beats, with their labels (and, as notes, the record's
    # identity, which rdann drops as a definition at sample 0, and the end mark).
    (tmp_path / "c232.cor").write_bytes(cor)
    ann = wfdb.rdann(str(tmp_path / "c232"), "cor")
    beat = [s != '"' for s in ann.symbol]
    assert sum(beat) == len(corrections) and ann.symbol[-1] == '"' and "end" in ann.aux_note[-1]
    sym = {"N": "N", "S": "A", "V": "V", "F": "F", "Q": "Q"}
    assert [sym[corrections[int(s)]] for s, b in zip(ann.sample, beat) if b] == [y for y in ann.symbol if y != '"']
    # The export tab offers it too, and the beats CSV says which beats were reviewed.
    from dashboard.sections import export

    csv = pd.read_csv(io.BytesIO(export.beats_csv(a)))
    assert csv["reviewed"].sum() == len(corrections)
    at = _open_tab(at, "Export")
    assert any(b.proto.label.startswith("Corrections (WFDB .cor") for b in at.get("download_button"))
    # A new session on another computer: the record uploaded with its .cor opens with the corrections.
    _elsewhere(monkeypatch, tmp_path)
    at2 = _upload(_app(monkeypatch), _files(cuts / "c232") + [("c232.cor", cor, "application/octet-stream")])
    assert not at2.error, [e.value for e in at2.error]
    rev2 = at2.session_state["reviews"][at2.session_state["record_key"]]
    assert rev2["corrections"] == corrections and rev2["loaded_from"] == "c232.cor"
    b = at2.session_state["analysis"]
    assert all(b.beats.set_index("sample").loc[s, "label"] == lab for s, lab in corrections.items())
    assert b.beats["reviewed"].sum() == len(corrections)
    assert at2.session_state["record_key"] == at.session_state["record_key"]  # same record, with or without .cor


def test_corrections_kept_across_record_switches_and_saved_beside(monkeypatch, cuts, tmp_path):
    import shutil

    folder = tmp_path / "local"
    folder.mkdir()
    for p in cuts.glob("c232.*"):
        shutil.copy(p, folder / p.name)
    for p in cuts.glob("c100.*"):
        shutil.copy(p, folder / p.name)
    at, corrections = _correct_some(_open_local(_app(monkeypatch, folder), "c232"))
    labels = list(at.session_state["analysis"].beats["label"])
    at = _open_local(at, "c100")
    assert at.session_state["analysis"].record.name == "c100"
    assert "reviewed" not in at.session_state["analysis"].beats
    at = _open_local(at, "c232")  # back: the corrections are still there
    assert list(at.session_state["analysis"].beats["label"]) == labels
    # Saved beside the record, a new session opening it finds them.
    at = _review_tab(at)
    at.button(key="review_save_local").click()
    at = _run(at)
    assert (folder / "c232.cor").exists() and not at.error
    _elsewhere(monkeypatch, tmp_path)
    at2 = _open_local(_app(monkeypatch, folder), "c232")
    rev2 = at2.session_state["reviews"][at2.session_state["record_key"]]
    assert rev2["corrections"] == corrections
    assert any("loaded from c232" in i.value for i in at2.info)


class FixedLabels:
    """A "classifier" returning labels decided elsewhere: the record through analyze_record."""

    def __init__(self, labels, probs):
        self.labels, self.probs, self.name = labels, probs, "fixed"

    def predict(self, ecg, fs, peaks):
        return self.labels, self.probs


def test_relabel_is_the_analysis_with_those_labels(cuts):
    """analyze.relabel (what a correction runs) gives what analyze_record gives with the same labels."""
    from ecg_lstm.analyze import analyze_record, relabel
    from ecg_lstm.io.read import read_record

    rec = read_record(cuts / "c208")
    plain = analyze_record(rec)
    labels = plain.beats["label"].to_numpy(dtype=object).copy()
    labels[::7] = "V"  # a reviewer's bigeminy-heavy view
    labels[3::11] = "S"
    probs = np.eye(5)[["NSVFQ".index(x) for x in labels]]
    a = relabel(plain, labels, probs, "reviewed")
    b = analyze_record(rec, classifier=FixedLabels(labels, probs))
    pd.testing.assert_frame_equal(a.beats, b.beats)
    pd.testing.assert_frame_equal(a.events.reset_index(drop=True), b.events.reset_index(drop=True))
    pd.testing.assert_frame_equal(a.rhythm_episodes, b.rhythm_episodes)
    assert a.vitals == b.vitals and a.vitals != plain.vitals
    assert a.model["beat_classifier"] == "reviewed"
    with pytest.raises(ValueError):
        relabel(plain, labels[:-1], probs, "x")


def test_a_correction_that_cannot_be_applied_is_undone_with_a_message(monkeypatch, cuts):
    from dashboard import review_session
    from ecg_lstm.errors import ECGError

    at = _review_tab(_upload(_app(monkeypatch), _files(cuts / "c100")))
    plain = at.session_state["analysis"]

    def refuse(*args, **kwargs):
        raise ECGError("refused for the test")

    monkeypatch.setattr("ecg_lstm.analyze.relabel", refuse)
    review_session.relabelled.clear()
    at.button(key="template_as_V").click()
    at = _run(at)
    assert any("could not be applied" in e.value for e in at.error)
    assert at.session_state["analysis"] is plain
    assert at.session_state["reviews"][at.session_state["record_key"]]["corrections"] == {}
    assert any(m.label == "HR mean" for m in at.metric)


def _model_page():
    """The Model tab alone, its models/ folder from $ECG_TEST_MODELS (an AppTest script)."""
    import os
    from pathlib import Path

    from dashboard.sections import model

    model.MODELS = Path(os.environ["ECG_TEST_MODELS"])
    model.render()


def test_model_card_figures_drawn_from_the_models_folder(monkeypatch, tmp_path):
    """The card's figures come from models/ (st.image), never as a Markdown image."""
    (tmp_path / "MODEL_CARD.md").write_text("# Card\n\ntext\n\n![curves](curves.png)\n\nmore ![x](http://127.0.0.1:9/p.png)\n")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.figure(figsize=(2, 1))
    plt.savefig(tmp_path / "curves.png")
    from dashboard.sections import model

    monkeypatch.setenv("ECG_TEST_MODELS", str(tmp_path))
    monkeypatch.setattr(model, "MODELS", tmp_path)  # the page sets it too; put back after the test
    at = AppTest.from_function(_model_page)
    at.run()
    assert not at.exception
    md = " ".join(m.value for m in at.markdown)
    assert "![" not in md and "text" in md and "more" in md
    assert len(at.get("image")) == 1


def test_corrections_in_a_zip_and_a_corrupt_corrections_file(monkeypatch, cuts, tmp_path):
    import zipfile

    from ecg_lstm import review

    at, corrections = _correct_some(_upload(_app(monkeypatch), _files(cuts / "c232")))
    cor = review.corrections_bytes(at.session_state["analysis"], at.session_state["reviews"][at.session_state["record_key"]])
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data, _ in _files(cuts / "c232"):
            zf.writestr(f"c232/{name}", data)
        zf.writestr("c232/c232.cor", cor)
    _elsewhere(monkeypatch, tmp_path)
    at2 = _upload(_app(monkeypatch), [("c232.zip", buf.getvalue(), "application/zip")])
    assert at2.session_state["reviews"][at2.session_state["record_key"]]["corrections"] == corrections
    # A corrupt corrections file: the record opens without it, and the page says why.
    _elsewhere(monkeypatch, tmp_path)
    at3 = _upload(_app(monkeypatch), _files(cuts / "c232") + [("c232.cor", b"\x00garbage" * 7, "application/octet-stream")])
    assert at3.session_state["analysis"].record.name == "c232"
    assert "reviewed" not in at3.session_state["analysis"].beats
    assert any("could not be read" in e.value for e in at3.error)


def test_foreign_or_linked_corrections_are_refused_with_an_error(monkeypatch, cuts, tmp_path):
    """A .cor of another record (uploaded with c232), or a local .cor that is a symbolic link: the
    page shows an error naming the file, and the record opens without corrections."""
    import os
    import shutil

    from ecg_lstm import review

    at, _ = _correct_some(_upload(_app(monkeypatch), _files(cuts / "c100")))
    cor = review.corrections_bytes(at.session_state["analysis"],
                                   at.session_state["reviews"][at.session_state["record_key"]])
    at2 = _upload(_app(monkeypatch), _files(cuts / "c232") + [("c232.cor", cor, "application/octet-stream")])
    assert at2.session_state["analysis"].record.name == "c232"
    assert at2.session_state["reviews"][at2.session_state["record_key"]]["corrections"] == {}
    errors = [e.value for e in at2.error]
    assert any("record c100" in e and "not of record c232" in e for e in errors), errors
    assert not any("loaded from" in i.value for i in at2.info)
    # Beside a local record, a link to a system file is not followed.
    folder = tmp_path / "local"
    folder.mkdir()
    for p in cuts.glob("c232.*"):
        shutil.copy(p, folder / p.name)
    os.symlink("/etc/passwd", folder / "c232.cor")
    at3 = _open_local(_app(monkeypatch, folder), "c232")
    assert at3.session_state["analysis"].record.name == "c232"
    reviews = at3.session_state["reviews"] if "reviews" in at3.session_state else {}
    assert not reviews.get(at3.session_state["record_key"], {}).get("corrections")
    assert any("c232" in e.value and "symbolic link" in e.value for e in at3.error), [e.value for e in at3.error]


def test_labels_as_shipped_or_adapted_to_the_record(monkeypatch, cuts):
    """The Review tab's switch: the shipped model's own labels instead of those adapted to the
    record (the default), the whole page following; and back."""
    from dashboard import review_session

    at = _review_tab(_upload(_app(monkeypatch), _files(cuts / "c208")))
    plain = at.session_state["analysis"]
    if not plain.model.get("adaptation"):
        pytest.skip("the analysis is not adapted to the record")
    assert any("adapted to this record (no labels)" in c.value for c in at.caption)
    at.toggle(key="review_unsupervised").set_value(False)
    at = _run(at)
    shipped = at.session_state["analysis"]
    want, _ = review_session.adapter(at.session_state["record_key"], plain).plain()
    assert list(shipped.beats["label"]) == list(want)
    assert at.session_state["analysis_key"] != at.session_state["record_key"]
    assert any("the shipped model as is" in c.value for c in at.caption)
    # Switching tabs keeps the choice; a correction applies on top of the shipped labels.
    at = _review_tab(_open_tab(at, "Events"))
    assert at.session_state["analysis"] is shipped
    at.session_state["selected_beat"] = 2
    at = _run(at)
    at.button(key="beat_as_F").click()
    at = _run(at)
    b = at.session_state["analysis"]
    assert b.beats["label"].iloc[2] == "F"
    others = np.arange(len(b.beats)) != 2
    assert list(b.beats["label"][others]) == list(np.asarray(want)[others])
    at.button(key="review_undo").click()
    at = _run(at)
    at.toggle(key="review_unsupervised").set_value(True)
    at = _run(at)
    assert at.session_state["analysis"] is plain


def test_event_decisions_survive_a_beat_correction(monkeypatch, cuts):
    """An event accepted, then a beat relabelled (a new analysis key): the decision stays."""
    at = _open_tab(_upload(_app(monkeypatch), _files(cuts / "c208")), "Events")
    if not len(at.session_state["analysis"].events):
        pytest.skip("no event in the first 2 minutes of 208")
    at.session_state["events_table"] = {"selection": {"rows": [0], "columns": [], "cells": []}}
    at = _run(at)
    at.button(key="event_accept").click()
    at = _run(at)

    def accepted(at) -> int:
        groups = next(d.value for d in at.dataframe if "accepted" in d.value.columns)
        return int(groups["accepted"].sum())

    assert accepted(at) == 1
    key = at.session_state["analysis_key"]
    at = _review_tab(at)
    at.session_state["selected_beat"] = 1
    at = _run(at)
    at.button(key="beat_as_V").click()
    at = _run(at)
    assert at.session_state["analysis_key"] != key
    assert accepted(_open_tab(at, "Events")) == 1
