"""Why the beat classifier gave a beat its label (see ``core``).

    from ecg_lstm.explain import Explainer
    ex = Explainer.load()                       # shipped model + similar-beat index
    prep = ex.prepare(ecg, fs, peaks)           # once per record
    e = ex.explain(prep, beat)                  # one beat: e.summary, e.to_json_dict()
"""
from .core import Explainer
from .explanation import BeatExplanation, ExplainConfig, ExplainError, PreparedRecord

__all__ = ["BeatExplanation", "ExplainConfig", "ExplainError", "Explainer", "PreparedRecord"]
