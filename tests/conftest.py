"""Shared fixtures: the MIT-BIH copy the tests read in place."""
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _mitdb_dir() -> Path:
    """ECG_DATA_DIR, else data/mitdb (from `make data`), else the copy beside the checkout."""
    candidates = [os.environ.get("ECG_DATA_DIR"), ROOT / "data" / "mitdb", ROOT.parent / "shared" / "data" / "mitdb"]
    for c in candidates:
        if c and (Path(c) / "100.hea").exists():
            return Path(c)
    return Path(candidates[-1])


@pytest.fixture(scope="session")
def mitdb_dir() -> Path:
    """Folder with the MIT-BIH Arrhythmia Database (skips the test where it is absent)."""
    path = _mitdb_dir()
    if not (path / "100.hea").exists():
        pytest.skip(f"MIT-BIH copy not found at {path}; set ECG_DATA_DIR or run `make data`")
    return path


def pytest_collection_modifyitems(config, items):
    """Mark every test that reads MIT-BIH (it asks for ``mitdb_dir``), so that the fast tier
    (``make test-fast``: ``-m "not slow and not mitdb and not browser"``) runs without it."""
    for item in items:
        if "mitdb_dir" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.mitdb)


@pytest.fixture(autouse=True, scope="session")
def _private_study_store(tmp_path_factory):
    """Every test's study store (the dashboard's, the command line's) lives in a temporary folder,
    never in the project's data/studies, unless a test gives its own."""
    old = {k: os.environ.get(k) for k in ("ECG_STUDY_FILES", "ECG_STUDY_DB")}
    os.environ["ECG_STUDY_FILES"] = str(tmp_path_factory.mktemp("studies"))
    os.environ.pop("ECG_STUDY_DB", None)
    yield
    for k, v in old.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v
