"""The batch's Parquet archive: what is written per record and how a rerun resumes.

Layout of ``OUT``::

    beats/record=<id>/part-0.parquet   one row per beat, the beats CSV columns
    records.parquet                    one row per record: status, vitals, burden, quality, events
    events.parquet                     one row per event, with its record_id
    _state/records/<id>.parquet        the same rows, one file per record, written as each
    _state/events/<id>.parquet         record finishes (so an interrupted batch keeps its work)
    _analyses/<id>/                    with ``batch --store``: each analysis whole (``ecg_lstm.saved_analysis``),
                                       read back when the records are added to the study store

``records.parquet`` and ``events.parquet`` are rebuilt from ``_state/`` at the end of
every run. ``<id>`` is the record id percent-encoded (``mitdb%2F100``); pyarrow's Hive
partitioning decodes it, so ``pd.read_parquet(OUT / "beats")`` has a ``record`` column
holding the ids as they are. Every file is written whole, then renamed into place.
"""
from __future__ import annotations

import os
import urllib.parse
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ..analyze import BEAT_COLUMNS, Analysis
from ..beats.aami import CLASSES
from ..findings.events import COLUMNS as EVENT_COLUMNS
from ..findings.events import EVENT_TYPES

STATUS_OK, STATUS_FAILED = "ok", "failed"
#: Columns every records.parquet row has, in this order; vitals follow (numbers only).
RECORD_COLUMNS = ["record_id", "path", "status", "error_type", "error", "model_version",
                  "fs_hz", "n_samples", "duration_s", "n_leads", "analysed_lead", "beat_source", "n_beats",
                  *[f"n_{c}" for c in CLASSES], "n_unclassified", "noisy_share_pct", "quality_mean",
                  "af_burden_pct", "n_events", *[f"n_{t}" for t in EVENT_TYPES],
                  "read_s", "analyze_s", "model_s", "write_s", "worker", "finished_at"]
_TEXT = {"record_id", "path", "status", "error_type", "error", "model_version", "analysed_lead",
         "beat_source", "worker"}


def quote_id(record_id: str) -> str:
    """File-name form of a record id (percent-encoded, no ``/``)."""
    return urllib.parse.quote(record_id, safe="")


def beats_dir(out: Path, record_id: str) -> Path:
    return Path(out) / "beats" / f"record={quote_id(record_id)}"


def analysis_dir(out: Path, record_id: str) -> Path:
    """Where ``batch --store`` keeps a record's whole analysis (``ecg_lstm.saved_analysis``)."""
    return Path(out) / "_analyses" / quote_id(record_id)


def write_table(df: pd.DataFrame, path: Path) -> None:
    """Write ``df`` to ``path`` through a temporary name (never a half-written file)."""
    _write_arrow(pa.Table.from_pandas(df, preserve_index=False), path)


def _write_arrow(table: pa.Table, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    pq.write_table(table, tmp)
    os.replace(tmp, path)


def write_beats(analysis: Analysis, out: Path, record_id: str) -> Path:
    """The beats table of one record into its partition of ``beats/``."""
    path = beats_dir(out, record_id) / "part-0.parquet"
    write_table(analysis.beats[BEAT_COLUMNS].reset_index(drop=True), path)
    return path


def record_row(analysis: Analysis, record_id: str, path: str) -> tuple[dict, pd.DataFrame]:
    """One records.parquet row and the events table of an analysed record.

    Numbers come from ``Analysis.to_json_dict``, the dict the CLI writes as JSON, so
    the archive and ``analyze --out-dir`` agree. No header comment or other patient
    field is copied.
    """
    js = analysis.to_json_dict()
    rec, vit = js["record"], js["vitals"]
    counts = vit.get("beat_counts", {})
    q = analysis.quality
    span = (q["end_s"] - q["start_s"]).to_numpy(float) if len(q) else np.zeros(0)
    events = analysis.events if len(analysis.events) else pd.DataFrame(columns=EVENT_COLUMNS)
    types = events["type"].value_counts() if len(events) else pd.Series(dtype=int)
    row = {
        "record_id": record_id, "path": path, "status": STATUS_OK, "error_type": None, "error": None,
        "fs_hz": rec["fs_hz"], "n_samples": rec["n_samples"], "duration_s": rec["duration_s"],
        "n_leads": len(rec["leads"]), "analysed_lead": rec["analysed_lead"], "beat_source": js["beat_source"],
        "n_beats": js["n_beats"], **{f"n_{c}": counts.get(c) for c in CLASSES},
        "n_unclassified": counts.get("unclassified"), "noisy_share_pct": js["noisy_share_pct"],
        "quality_mean": float(np.average(q["quality"], weights=span)) if span.sum() > 0 else None,
        "af_burden_pct": js.get("af_burden_pct"), "n_events": len(events),
        **{f"n_{t}": int(types.get(t, 0)) for t in EVENT_TYPES},
    }
    # Every scalar vital (heart rate, RR, HRV, burden) as its own column.
    row.update({k: v for k, v in vit.items() if isinstance(v, (int, float)) or (v is None and k not in row)})
    events = events[EVENT_COLUMNS].reset_index(drop=True)
    events.insert(0, "record_id", record_id)
    return row, events


def failure_row(record_id: str, path: str, error: BaseException | str, error_type: str | None = None) -> dict:
    return {"record_id": record_id, "path": path, "status": STATUS_FAILED,
            "error_type": error_type or type(error).__name__, "error": str(error)}


def _state(out: Path, kind: str, record_id: str) -> Path:
    return Path(out) / "_state" / kind / f"{quote_id(record_id)}.parquet"


def save_result(out: Path, row: dict, events: pd.DataFrame | None) -> None:
    """Persist one record's row (and events) in ``_state/``: the unit a rerun resumes from."""
    rid = row["record_id"]
    ev_path = _state(out, "events", rid)
    if events is not None:
        write_table(events, ev_path)
    elif ev_path.exists():  # a record that failed this time has no events from an earlier run
        ev_path.unlink()
    # One row as it is (no per-column typing: load_state types all rows at once, ~10x cheaper here).
    _write_arrow(pa.Table.from_pylist([row]), _state(out, "records", rid))


def _typed(df: pd.DataFrame) -> pd.DataFrame:
    """Fixed columns first, text as object, numbers as float (None -> NaN): every part has the same schema."""
    for c in RECORD_COLUMNS:
        if c not in df:
            df[c] = None
    cols = RECORD_COLUMNS + sorted(c for c in df.columns if c not in RECORD_COLUMNS)
    df = df[cols]
    for c in cols:
        if c in _TEXT:
            df[c] = df[c].astype(object).where(df[c].notna(), None)
        elif c == "finished_at":
            df[c] = pd.to_datetime(df[c], utc=True)
        else:
            df[c] = pd.to_numeric(df[c], errors="coerce").astype(float)
    return df


def load_state(out: Path) -> pd.DataFrame:
    """Every record row saved so far under ``out`` (empty frame when none)."""
    files = sorted((Path(out) / "_state" / "records").glob("*.parquet"))
    if not files:
        return pd.DataFrame(columns=RECORD_COLUMNS)
    # One Arrow table (a column that is all-null in one file and numbers in another is promoted).
    table = pa.concat_tables([pq.read_table(f) for f in files], promote_options="permissive")
    return _typed(table.to_pandas())


def current_state(out: Path) -> tuple[pd.DataFrame, bool]:
    """(every record row so far, whether records.parquet must be rebuilt).

    When records.parquet is newer than every ``_state/`` file it is read alone (one file
    instead of one per record: a rerun of a finished archive stays quick).
    """
    out = Path(out)
    files = list((out / "_state" / "records").glob("*.parquet"))
    summary = out / "records.parquet"
    if files and summary.is_file() and max(f.stat().st_mtime_ns for f in files) <= summary.stat().st_mtime_ns:
        return _typed(pd.read_parquet(summary)), False
    return load_state(out), bool(files) or not summary.is_file()


def done_ids(out: Path, state: pd.DataFrame) -> set[str]:
    """Records a rerun skips: analysed without error and with their beats on disk."""
    ok = state.loc[state["status"] == STATUS_OK, "record_id"]
    return {r for r in ok if (beats_dir(out, r) / "part-0.parquet").is_file()}


def consolidate(out: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Rebuild ``records.parquet`` and ``events.parquet`` from ``_state/``; returns both."""
    out = Path(out)
    records = load_state(out).sort_values("record_id", kind="stable").reset_index(drop=True)
    ok = set(records.loc[records["status"] == STATUS_OK, "record_id"])
    parts = [pq.read_table(f) for f in sorted((out / "_state" / "events").glob("*.parquet"))]
    parts = [p for p in parts if p.num_rows and p.column("record_id")[0].as_py() in ok]
    events = (pa.concat_tables(parts, promote_options="permissive").to_pandas() if parts
              else pd.DataFrame(columns=["record_id"] + EVENT_COLUMNS))
    events = events.sort_values(["record_id", "start_sample", "type"], kind="stable").reset_index(drop=True)
    write_table(records, out / "records.parquet")
    write_table(_event_types(events), out / "events.parquet")
    return records, events


def _event_types(events: pd.DataFrame) -> pd.DataFrame:
    events = events.copy()
    for c in ("start_sample", "end_sample", "n_beats"):
        events[c] = events[c].astype("int64")
    for c in ("start_s", "end_s"):
        events[c] = events[c].astype(float)
    for c in ("record_id", "type", "description"):
        events[c] = events[c].astype(object)
    return events


def read_beats(out: Path, record_id: str | None = None) -> pd.DataFrame:
    """Beats of one record (or of all, with a ``record`` column) read back from ``out/beats``."""
    if record_id is not None:
        return pd.read_parquet(beats_dir(out, record_id) / "part-0.parquet")
    return pd.read_parquet(Path(out) / "beats")
