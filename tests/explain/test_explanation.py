"""A beat explanation built by hand with small arrays (ecg_lstm.explain.explanation): its summary
in words, its JSON form; and its PNG (ecg_lstm.explain.plots). No model is loaded."""
import json

import numpy as np
import pytest

from ecg_lstm.classifier.features import MORPH_NAMES, RR_NAMES
from ecg_lstm.explain.explanation import (
    CLASS_NAMES,
    SEGMENTS,
    BeatExplanation,
    ExplainError,
    rr_share_of_top,
    summarise,
)
from ecg_lstm.explain.plots import CLASS_COLOURS, explanation_figure, save_png

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
QRS, ST_T, P = list(SEGMENTS)[1], list(SEGMENTS)[2], list(SEGMENTS)[0]


def _feature(name, attribution, text=None):
    kind = "rr" if name in RR_NAMES else "morphology"
    return {"name": name, "kind": kind, "value": 0.5, "text": text or f"{name} is unusual", "baseline": 0.0,
            "attribution": attribution}


def make(label="V", features=None, sample_attribution=None, segments=None, offsets=(-2, -1, 0, 1, 2),
         context=(0.05, -0.2, 1.1, 0.4, 0.0), similar=None, **kw) -> BeatExplanation:
    """A small explanation: a 9-sample beat window, 5 beats of context, a 3-step LSTM window."""
    t = np.linspace(-0.3, 0.5, 9)
    gates = {g: (np.arange(6).reshape(3, 2) / 10).tolist() for g in ("input", "forget", "output", "cell")}
    feats = features if features is not None else [
        _feature(RR_NAMES[0], 0.9, "the beat comes 35 % early"),
        _feature(MORPH_NAMES[0], 0.4, "the QRS is unlike the record's usual beat"),
        _feature(RR_NAMES[1], -0.3, "a long pause follows"),
    ]
    args = dict(
        beat=7, sample=2520, label=label, probs={"N": 0.03, "S": 0.02, "V": 0.93, "F": 0.01, "Q": 0.01},
        target=label, logit=2.5, time_s=t.tolist(), beat_wave=np.sin(8 * t).tolist(),
        median_wave=(0.5 * np.sin(8 * t)).tolist(),
        sample_attribution=(sample_attribution if sample_attribution is not None else
                            [0.0, 0.0, 0.1, 0.6, 0.3, 0.0, -0.1, 0.0, 0.0]),
        segment_attribution=segments or {P: 0.0, QRS: 1.0, ST_T: -0.1}, features=feats,
        beat_baseline_logit=-1.25, beat_completeness_gap=0.01, beat_completeness_error=0.03,
        context_offsets=list(offsets), context_attribution=list(context),
        context_labels=["N", "N", label, "N", "N"][:len(offsets)], context_baseline_logit=-2.0,
        context_completeness_gap=0.004, context_completeness_error=0.01,
        lstm_window_offsets=[-1, 0, 1], lstm_state={"forward": gates, "backward": gates},
        lstm_check_max_abs=1e-7, similar=similar if similar is not None else [], summary="", ig_steps=64)
    args.update(kw)
    return BeatExplanation(**args)


# -- summarise -------------------------------------------------------------------------------------

def test_summary_names_label_probability_and_strongest_feature():
    ex = make()
    text = summarise(ex)
    assert text.startswith(f"Labelled V ({CLASS_NAMES['V']}), probability 0.93.")
    # strongest first, only features that pushed towards the label
    ev = text.split("Strongest evidence: ")[1]
    assert ev.startswith("the beat comes 35 % early (+0.90); the QRS is unlike the record's usual beat (+0.40).")
    assert "a long pause follows" not in text


def test_summary_sums_waveform_rr_and_morphology():
    """Waveform = sum of the sample attributions (0.9); RR = 0.9 - 0.3; morphology = 0.4; the
    logit moves from the baseline to its value."""
    text = summarise(make())
    assert "the V logit moves from -1.25 to +2.50" in text
    assert "waveform +0.90 (most in the QRS)" in text
    assert "RR features +0.60, morphology features +0.40" in text


def test_summary_segment_follows_the_sign_of_the_waveform():
    """When the waveform as a whole pushed the logit down, the segment named is the one that
    pushed down most, not the largest positive one."""
    ex = make(sample_attribution=[0.0, -0.5, -0.4, 0.2, 0.0, 0.0, -0.3, 0.0, 0.0],
              segments={P: -0.9, QRS: 0.2, ST_T: -0.3})
    assert "waveform -1.00 (most in the P wave and PR)" in summarise(ex)


def test_summary_without_positive_features_or_neighbours():
    ex = make(features=[_feature(RR_NAMES[0], -0.2), _feature(MORPH_NAMES[1], 0.0)], context=(-0.1, -0.2, 0.5,
                                                                                             -0.3, 0.0))
    text = summarise(ex)
    assert "Strongest evidence" not in text and "Neighbours" not in text


def test_summary_neighbours_that_pushed():
    """Neighbours (offset != 0) with a positive attribution, largest first, with their labels."""
    text = summarise(make())
    assert text.endswith("Neighbours that pushed most: beat +1 (N, +0.40), beat -2 (N, +0.05).")


@pytest.mark.parametrize("label", list(CLASS_NAMES))
def test_summary_for_every_class(label):
    probs = dict.fromkeys(CLASS_NAMES, 0.1)
    probs[label] = 0.6
    text = summarise(make(label=label, probs=probs))
    assert text.startswith(f"Labelled {label} ({CLASS_NAMES[label]}), probability 0.60.")


def test_rr_share_of_top():
    assert rr_share_of_top(make())  # RR_NAMES[0] has the largest attribution
    ex = make(features=[_feature(RR_NAMES[0], 0.1), _feature(MORPH_NAMES[2], 0.7)])
    assert not rr_share_of_top(ex)


def test_explain_error_is_a_user_error():
    from ecg_lstm.errors import ECGError

    assert issubclass(ExplainError, ECGError) and issubclass(ExplainError, ValueError)


# -- to_json_dict ----------------------------------------------------------------------------------

def test_to_json_dict_is_json_and_complete():
    ex = make(logit=2.123456789, lstm_check_max_abs=3.3e-7)
    ex.summary = summarise(ex)
    d = ex.to_json_dict()
    back = json.loads(json.dumps(d))
    assert set(back) == set(ex.__dataclass_fields__)
    assert back["label"] == "V" and back["summary"] == ex.summary
    assert back["logit"] == 2.12346            # floats rounded to 5 places
    assert back["lstm_check_max_abs"] == 0.0
    assert back["features"][0]["name"] == RR_NAMES[0]
    assert back["lstm_state"]["forward"]["cell"] == ex.lstm_state["forward"]["cell"]


# -- plots -----------------------------------------------------------------------------------------

def test_save_png_writes_a_png(tmp_path):
    ex = make()
    path = save_png(ex.to_json_dict(), tmp_path / "beat7.png")
    assert path == tmp_path / "beat7.png"
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE and len(data) > 10_000


def test_save_png_with_similar_beats(tmp_path):
    """Similar training beats, one panel per class; a class colour for each."""
    wave = np.cos(np.linspace(0, 3, 9)).tolist()
    similar = [{"class": c, "similarity": s, "record": "101", "sample": 1000, "wave": wave}
               for c, s in (("V", 0.97), ("V", 0.91), ("N", 0.55))]
    ex = make(similar=similar)
    fig = explanation_figure(ex.to_json_dict())
    titles = [a.get_title() for a in fig.axes]
    assert "training V (cos 0.97)" in titles and "training N (cos 0.55)" in titles
    assert "Beat 7 (sample 2520): V, p = 0.93" in fig._suptitle.get_text()
    import matplotlib.pyplot as plt

    plt.close(fig)
    assert set("NSVFQ") <= set(CLASS_COLOURS)


def test_figure_without_similar_shows_the_note(tmp_path):
    ex = make(similar=[], similar_note="no index of training beats installed")
    fig = explanation_figure(ex.to_json_dict())
    texts = [t.get_text() for a in fig.axes for t in a.texts]
    assert "no index of training beats installed" in texts
    import matplotlib.pyplot as plt

    plt.close(fig)
