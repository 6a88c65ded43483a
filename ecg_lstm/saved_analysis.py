"""An analysis kept on disk, so that a record opened again is not analysed again.

A folder of Parquet tables (``beats``, ``quality``, ``events``, ``rhythm_episodes``) and one
JSON file (vitals, models, warnings, the analysed lead). What the recompute after a correction
reuses (``Analysis.derived``: the rhythm model's beat probabilities, ventricular flutter spans,
the flutter parts of AF episodes) is kept too (``rhythm_memo.parquet`` and the JSON), so that
the first correction of a reopened day costs what the next ones cost. The record's adapter
(``derived["adapter"]``, what the review's Adapt fits on) is not kept: its hidden states alone are
192 float32 per beat, 80 MB for a day where the whole folder takes 10 MB (half precision would
move the adapted probabilities by more than 1e-5). A reopened analysis builds it again when the
review first needs it (``ecg_lstm.review.record_adapter``: about 2.5 s for a day on two cores).
The signal is not in it: the record is read again from its own files (seconds less than
analysing it; 24 h in about one). The folder belongs with those files: :func:`load_analysis`
checks that the record it is given has the sample count and rate the analysis was made on.

Parquet (pyarrow, which Streamlit already needs) keeps the column types exactly and reads a
24 h beat table in milliseconds; JSON holds the rest as plain values. Nothing is pickled: a
folder read back can hold no code.
"""
from __future__ import annotations

import json
import math
import os
import shutil
from pathlib import Path

import pandas as pd

from .analyze import Analysis
from .errors import ECGError
from .io.record import Record

TABLES = ("beats", "quality", "events", "rhythm_episodes")
META = "analysis.json"
MEMO = "rhythm_memo.parquet"
#: Written into the folder; a folder of another format version is not read (analysed again).
FORMAT = 1


class SavedAnalysisError(ECGError):
    """A saved analysis cannot be used (missing, damaged, of another record or format): analyse again."""


def save_analysis(analysis: Analysis, folder: str | Path) -> Path:
    """Write ``analysis`` (without its signal) into ``folder`` (created, private: 0700); returns it.
    Written under a temporary name then renamed, so a reader never finds half a folder."""
    folder = Path(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = folder.with_name(f".{folder.name}.{os.getpid()}.part")
    tmp.mkdir(mode=0o700, exist_ok=True)
    for name in TABLES:
        df = getattr(analysis, name)
        (df if df is not None else pd.DataFrame()).to_parquet(tmp / f"{name}.parquet", index=False)
    rec = analysis.record
    meta = {"format": FORMAT, "lead_index": analysis.lead_index, "beat_source": analysis.beat_source,
            "vitals": _plain(analysis.vitals), "model": _plain(analysis.model), "warnings": list(analysis.warnings),
            "n_samples": rec.n_samples, "fs": rec.fs, "record_name": rec.name}
    meta["derived"] = _save_derived(analysis.derived, tmp)
    (tmp / META).write_text(json.dumps(meta))
    if folder.exists():
        shutil.rmtree(folder, ignore_errors=True)
    os.replace(tmp, folder)
    return folder


def load_analysis(folder: str | Path, record: Record) -> Analysis:
    """The analysis saved in ``folder``, joined to ``record`` (read again from its files).

    Raises :class:`SavedAnalysisError` when the folder is missing or damaged, of another format
    version, or was made on a record with another sample count or rate."""
    folder = Path(folder)
    try:
        meta = json.loads((folder / META).read_text())
        if meta.get("format") != FORMAT:
            raise SavedAnalysisError(f"the saved analysis is of format {meta.get('format')}, not {FORMAT}")
        if meta["n_samples"] != record.n_samples or not math.isclose(meta["fs"], record.fs):
            raise SavedAnalysisError("the saved analysis was made on another record (sample count or rate differ)")
        tables = {name: pd.read_parquet(folder / f"{name}.parquet") for name in TABLES}
    except SavedAnalysisError:
        raise
    except (OSError, ValueError, KeyError, TypeError) as e:  # missing file, bad JSON or Parquet
        raise SavedAnalysisError(f"the saved analysis cannot be read ({type(e).__name__})") from None
    return Analysis(record, int(meta["lead_index"]), meta["beat_source"], tables["beats"], meta["vitals"],
                    tables["quality"], tables["events"], tables["rhythm_episodes"], meta["model"],
                    list(meta.get("warnings", [])), _load_derived(meta.get("derived") or {}, folder, tables["beats"]))


def _save_derived(derived: dict, folder: Path) -> dict:
    """The parts of ``derived`` worth keeping, as JSON (spans) and a Parquet table (rhythm memo)."""
    out = {}
    if derived.get("flutter") is not None:
        out["flutter"] = [[int(a), int(b)] for a, b in derived["flutter"]]
    if derived.get("afl"):
        out["afl"] = [[int(a), int(b), [[str(lab), int(x), int(y)] for lab, x, y in parts]]
                      for (a, b), parts in derived["afl"].items()]
    memo = derived.get("rhythm")
    if memo is not None and memo.probs is not None:
        import numpy as np

        table = {f"p{j}": np.asarray(memo.probs[:, j]) for j in range(memo.probs.shape[1])}
        pd.DataFrame({**table, "ectopic": np.asarray(memo.flags, bool)}).to_parquet(folder / MEMO, index=False)
        out["rhythm"] = {"fingerprint": memo.fingerprint, "labels_given": float(memo.labels_given)}
    return out


def _load_derived(saved: dict, folder: Path, beats: pd.DataFrame) -> dict:
    """``Analysis.derived`` from what :func:`_save_derived` kept (a damaged part is left out: it is
    computed again at the first correction)."""
    import numpy as np

    from .rhythm.incremental import RhythmMemo

    out: dict = {}
    try:
        if "flutter" in saved:
            out["flutter"] = [(int(a), int(b)) for a, b in saved["flutter"]]
        if "afl" in saved:
            out["afl"] = {(int(a), int(b)): [(str(lab), int(x), int(y)) for lab, x, y in parts]
                          for a, b, parts in saved["afl"]}
        if "rhythm" in saved:
            t = pd.read_parquet(folder / MEMO)
            if len(t) == len(beats):
                probs = np.stack([t[c].to_numpy() for c in t.columns if c.startswith("p")], axis=1)
                out["rhythm"] = RhythmMemo(str(saved["rhythm"]["fingerprint"]), beats["sample"].to_numpy(np.int64),
                                           t["ectopic"].to_numpy(np.float64), float(saved["rhythm"]["labels_given"]),
                                           probs)
    except (OSError, ValueError, KeyError, TypeError):
        return {k: v for k, v in out.items() if k != "rhythm"}
    return out


def _plain(obj):
    """numpy scalars and arrays as plain JSON values; NaN kept (JSON's NaN extension, read back as NaN)."""
    import numpy as np

    if isinstance(obj, dict):
        return {str(k): _plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple, np.ndarray)):
        return [_plain(v) for v in obj]
    if isinstance(obj, np.generic):
        return obj.item()
    return obj
