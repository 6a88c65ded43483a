"""Where the project's own files live: the checkout, its shipped models, its data folder.

Defined once here; every stage takes its default paths from these names.
"""
from __future__ import annotations

import os
from pathlib import Path

#: The project folder (the checkout holding ``ecg_lstm/``, ``models/``, ``data/``).
ROOT = Path(__file__).resolve().parents[1]
#: Shipped weights, model cards and evaluation reports.
MODELS_DIR = ROOT / "models"


def default_data_dir() -> Path:
    """The MIT-BIH folder: ``$ECG_DATA_DIR``, else ``data/mitdb`` (``make data``), else a copy at
    ``../shared/data/mitdb`` beside the checkout; ``data/mitdb`` when none holds a record."""
    for c in (os.environ.get("ECG_DATA_DIR"), ROOT / "data" / "mitdb", ROOT.parent / "shared" / "data" / "mitdb"):
        if c and (Path(c) / "100.hea").exists():
            return Path(c)
    return ROOT / "data" / "mitdb"
