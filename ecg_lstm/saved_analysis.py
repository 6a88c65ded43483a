"""An analysis kept on disk, so that a record opened again is not analysed again.

A folder of Parquet tables (``beats``, ``quality``, ``events``, ``rhythm_episodes``) and one
JSON file (vitals, models, warnings, the analysed lead). The signal is not in it: the record
is read again from its own files (seconds less than analysing it; 24 h in about one). The
folder belongs with those files: :func:`load_analysis` checks that the record it is given has
the sample count and rate the analysis was made on.

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
                    list(meta.get("warnings", [])))


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
