"""Opening a record for the dashboard: uploads, the local data folder, PhysioNet.

Each ``open_*`` function reads a record, analyses it through the library and,
on success, makes it the current record (``st.session_state["analysis"]``).
On an :class:`~ecg_lstm.errors.ECGError` it stores the message under
``st.session_state["load_error"]`` with where it came from, and the record
shown before stays. Nothing here logs file names or signal values.

The page's first view (the sidebar's record choice) is drawn from this module before the
library is imported: ``ecg_lstm`` (scipy, pandas) and the models (torch) take seconds to
load, so they are imported inside the functions that open a record, and :func:`warm_up`
loads them in the background once that first view is on screen.
"""
from __future__ import annotations

import hashlib
import importlib
import os
import pkgutil
import threading
import time
from pathlib import Path

import streamlit as st

from dashboard import first_seconds, studies_session

#: The checkout (``ecg_lstm.paths.ROOT``, which the dashboard lives in), without importing the library.
ROOT = Path(__file__).resolve().parents[1]
#: The single-file record types the reader takes (``ecg_lstm.io.read.FILE_SUFFIXES``, which a test
#: keeps this equal to): the local list is drawn before the reader is imported.
FILE_SUFFIXES = (".edf", ".csv", ".ecg", ".dcm", ".xml")


def data_dir() -> Path:
    """Local record folder: ECG_DATA_DIR, else data/mitdb under the repository."""
    return Path(os.environ.get("ECG_DATA_DIR") or ROOT / "data" / "mitdb")


def local_records(folder: Path) -> list[str]:
    """Record names in ``folder``: WFDB headers (without extension), and the files of the single-file
    formats (EDF, CSV, ISHNE, DICOM, HL7 aECG / Sierra XML: :data:`FILE_SUFFIXES`)."""
    if not folder.is_dir():
        return []
    names = [p.stem for p in folder.glob("*.hea")]
    names += [p.name for p in folder.iterdir() if p.suffix.lower() in FILE_SUFFIXES]
    return sorted(set(names))


def digest(files: dict[str, bytes], *options) -> str:
    """Hash of the file names, contents and analysis options (cache key)."""
    h = hashlib.sha256()
    for name in sorted(files):
        h.update(name.encode())
        h.update(len(files[name]).to_bytes(8, "little"))
        h.update(files[name])
    h.update(repr(options).encode())
    return h.hexdigest()[:20]


def _read_files(files: dict[str, bytes], fs: float | None):
    from ecg_lstm.io.upload import read_record_from_files

    return read_record_from_files(files, fs=fs)


@st.cache_resource(show_spinner=False)
def beat_classifier():
    """Shipped beat classifier, loaded once per server (None when no weights ship)."""
    from ecg_lstm.classifier.predict import BeatClassifier

    return BeatClassifier.load()


@st.cache_resource(show_spinner=False)
def rhythm_classifier():
    """Shipped rhythm classifier, loaded once per server."""
    from ecg_lstm.rhythm.predict import RhythmClassifier

    return RhythmClassifier.load()


def models() -> tuple[object, object, list[str]]:
    """(beat classifier, rhythm classifier, notes): a model that cannot load is
    skipped with a note, so the beats and vitals still show."""
    from ecg_lstm.errors import ECGError

    notes, out = [], []
    for what, loader in (("beat classifier", beat_classifier), ("rhythm classifier", rhythm_classifier)):
        try:
            out.append(loader())
        except (ECGError, ImportError, FileNotFoundError) as e:
            out.append(None)
            notes.append(f"The {what} is not available ({e}); results are shown without it.")
    return out[0], out[1], notes


@st.cache_resource(show_spinner=False)
def _sweep_uploads() -> int:
    """Remove the upload folders a killed server left behind (once per server start)."""
    from ecg_lstm.io.tempfiles import sweep_stale

    return len(sweep_stale())


#: Said on the page while :func:`warm_up` runs.
WARM_UP_NOTE = "Loading the analysis code and the models (once per server start)…"


def warm_up(note=None) -> None:
    """Start importing the analysis code and loading the models (cached for the server's life) in
    the background, so the first record a user opens does not wait for them; ``note`` (an
    ``st.empty()``) says so while they load.

    Called once the first view is drawn; the loading runs in a thread, so the page is not held
    up by it (the imports alone take seconds on a busy machine). A record opened meanwhile waits
    for what is still loading (Python's import lock, the cache's lock for each model)."""
    if _warm_up_thread().is_alive() and note is not None:
        note.caption(WARM_UP_NOTE)


@st.cache_resource(show_spinner=False)
def _warm_up_thread() -> threading.Thread:
    """The thread of :func:`warm_up`, started once per server."""
    thread = threading.Thread(target=_warm, name="ecg-warm-up", daemon=True)
    thread.start()
    return thread


def _warm() -> None:
    """What the first record would otherwise wait for: the library (scipy, torch and the pipeline
    modules), the page's sections (their figures and tables), the upload sweep, the models and
    what Adapt's first fit imports."""
    import ecg_lstm.analyze  # noqa: F401
    from dashboard import sections

    for module in pkgutil.iter_modules(sections.__path__):
        importlib.import_module(f"{sections.__name__}.{module.name}")
    _sweep_uploads()
    models()
    # torch's optimizers import its compiler on their first use (2 s here): Adapt's fit would wait
    # for it at the first click.
    import torch._dynamo  # noqa: F401


def wait_warm_up(note, poll_s: float = 0.25) -> None:
    """Keep ``note`` until :func:`warm_up` is done, then empty it.

    The note is written again at each poll: a user's action (an upload) interrupts the script at
    its next Streamlit call, so the page answers at once while the models go on loading."""
    thread = _warm_up_thread()
    while thread.is_alive():
        note.caption(WARM_UP_NOTE)
        thread.join(poll_s)
    note.empty()


def progress_text(done: float, what: str, elapsed_s: float) -> tuple[float, str]:
    """The bar's value and its text: the stage, the share done and, once a fifth is done, about how
    long is left at the pace so far (the stages of a day's analysis take similar times per share)."""
    text = f"Analysing: {what}… {done:.0%}"
    if 0.2 <= done < 1.0 and elapsed_s > 2.0:
        text += f", about {max(1.0, elapsed_s * (1.0 - done) / done):.0f} s left"
    return done, text


def _analyse(read, reference_beats: bool, head=None):
    """Read (``read()``) and analyse a record with a progress bar (a 24 h record takes a while); a long
    record's first seconds (``head()``, see :mod:`dashboard.first_seconds`) are drawn before the whole is read.

    The bar is created here, inside the cached callers, and emptied at the end: Streamlit
    replays what a cached function drew on a cache hit, which works only for elements the
    function created itself."""
    from ecg_lstm.analyze import analyze_record

    bar = st.progress(0.0, text="Reading the record…")
    preview = None
    try:
        first = head() if head is not None else None
        if first is not None:
            preview = first_seconds.show(first, long=True)
        record = read()
        if preview is None:
            preview = first_seconds.show(record)
        clf, rhythm, notes = models()

        started = time.monotonic()

        def progress(fraction: float, what: str) -> None:
            bar.progress(*progress_text(min(1.0, 0.1 + 0.9 * fraction), what, time.monotonic() - started))

        # Adapted to the record without labels (template pooling): it beats the shipped model on
        # DS1 validation (ecg_lstm/evaluation/adapt_select.py, DS1 only); the page says so by the labels.
        analysis = analyze_record(record, reference_beats=reference_beats, classifier=clf, rhythm=rhythm,
                                  adapt=clf is not None, progress=progress)
    finally:
        bar.empty()
        if preview is not None:
            preview.empty()
    return analysis, notes


# The analyses are cached as resources, not data: shared by the sessions that open the same record,
# never copied. A data cache pickles what it keeps (a second copy of a day's signal and beats, and a
# third on each hit); the page never changes an analysis in place (corrections make a new one).
@st.cache_resource(max_entries=2, show_spinner=False)
def analyse_upload(key: str, _path: str, fs: float | None, reference_beats: bool):
    """Read and analyse an upload spooled to disk (``_path``: the file to read, ``upload_spool``);
    cached on ``key`` (hash of the uploaded bytes + options), not on where the files were put."""
    from ecg_lstm.io.read import read_record

    kwargs = {"fs": fs} if fs else {}
    return _analyse(lambda: read_record(_path, **kwargs), reference_beats, first_seconds.head(_path, fs))


@st.cache_resource(max_entries=2, show_spinner=False)
def analyse_path(path: str, stamp: tuple, fs: float | None, reference_beats: bool):
    """Read and analyse a local record; cached on path + modification stamp + options."""
    from ecg_lstm.io.read import read_record

    kwargs = {"fs": fs} if fs else {}
    return _analyse(lambda: read_record(path, **kwargs), reference_beats, first_seconds.head(path, fs))


def _stamp(path: Path) -> tuple:
    parts = [p for p in (path, path.with_suffix(".hea"), path.with_suffix(".dat"), path.with_suffix(".atr"))
             if p.is_file()]
    return tuple((p.name, p.stat().st_mtime_ns, p.stat().st_size) for p in parts)


#: Filters of a record's tables: they belong to the record shown, not to the next one opened.
RECORD_FILTERS = ("events_filter", "events_hide_noisy", "events_alarms_only", "events_page")


def _set_current(result, label: str, key: str) -> None:
    analysis, notes = result
    if key != st.session_state.get("analysis_key"):
        for k in RECORD_FILTERS:
            st.session_state.pop(k, None)
    st.session_state["analysis"] = analysis
    st.session_state["analysis_key"] = key
    st.session_state["source_label"] = label
    st.session_state["model_notes"] = notes
    st.session_state.pop("load_error", None)
    # A new record opens at its start (or its first event), with the live replay stopped.
    events = analysis.events
    first = float(events["start_s"].iloc[0]) if events is not None and len(events) else 0.0
    st.session_state["trace_center_s"] = first
    st.session_state["live_running"] = False
    st.session_state["live_cursor_s"] = 0.0


def _fail(where: str, err: Exception) -> None:
    from ecg_lstm.errors import SamplingRateError

    msg = str(err)
    if isinstance(err, SamplingRateError) and where == "upload":
        msg += " (here: type it in the sampling-rate box below the upload)"
    st.session_state["load_error"] = (where, msg)


def open_upload(spooled: dict, fs: float | None = None, reference_beats: bool = False) -> bool:
    """Analyse the upload spooled to disk (``upload_spool.spool``, with its ``digest`` and ``stems``)
    and make it the current record; the study keeps the files from that folder."""
    from dashboard import upload_spool
    from ecg_lstm.errors import ECGError

    key = digest({}, spooled["digest"], fs, reference_beats)
    if key == st.session_state.get("analysis_key"):
        return True
    if key == st.session_state.get("failed_key"):
        return False  # same files as the last failure: its message is still shown
    paths = upload_spool.files_of(spooled)
    if paths is None:
        _fail("upload", RuntimeError("the uploaded files are no longer kept on this server; upload them again"))
        return False
    try:
        result = analyse_upload(key, str(Path(spooled["folder"]) / spooled["main"]), fs, reference_beats)
    except ECGError as e:
        _fail("upload", e)
        st.session_state["failed_key"] = key
        return False
    stems = spooled["stems"]
    _set_current(result, "upload: " + ", ".join(stems[:3]), key)
    from ecg_lstm.studies.intake import study_options

    studies_session.open_study(paths, result[0], ", ".join(stems[:3]), "upload",
                               study_options(fs=fs, reference_beats=reference_beats))
    return True


def open_path(path: Path, label: str, fs: float | None = None, reference_beats: bool = False,
              where: str = "local") -> bool:
    """Analyse a local record (WFDB path without extension, .edf or .csv)."""
    from ecg_lstm.errors import ECGError

    stamp = _stamp(path)
    key = digest({}, str(path), stamp, fs, reference_beats)
    if key == st.session_state.get("analysis_key"):
        return True
    try:
        result = analyse_path(str(path), stamp, fs, reference_beats)
    except ECGError as e:
        _fail(where, e)
        return False
    _set_current(result, label, key)
    _keep_local(path, result[0], label, fs, reference_beats, where)
    return True


def _keep_local(path: Path, analysis, label: str, fs, reference_beats: bool, where: str) -> None:
    """A local record becomes a study too: its files are copied into the store (kept once)."""
    from ecg_lstm.errors import ECGError
    from ecg_lstm.studies.intake import record_files, study_options

    try:
        files = record_files(path)
    except (ECGError, OSError) as e:
        st.session_state["study_error"] = f"The record is open but not kept as a study: {e}"
        st.session_state.pop("study_id", None)
        return
    studies_session.open_study(files, analysis, label.split(": ", 1)[-1], where,
                               study_options(fs=fs, reference_beats=reference_beats))


@st.cache_resource(max_entries=2, show_spinner=False)
def _stored(store_url: str, sid: int, key: str, fs: float | None):
    """The record of study ``sid`` read from its stored files, with its saved analysis (analysed again,
    and saved, when the saved one cannot be used). A resource, not data: shared by the sessions that
    open the study, never copied (a copy of a 24 h signal per opening took longer than reading it);
    the page never changes an analysis in place (corrections make a new one)."""
    from ecg_lstm.saved_analysis import SavedAnalysisError

    s = studies_session.store()
    files = s.files(sid)
    record = _read_files(files, fs)
    try:
        return s.analysis(sid, record), models()[2]
    except SavedAnalysisError:
        result = _analyse(lambda: record, bool(s.get(sid)["options"].get("reference_beats")))
        s.keep_analysis(sid, result[0])
        return result


def open_stored(sid: int) -> bool:
    """Open study ``sid`` of the store (the Studies page): its record, saved analysis and review."""
    from ecg_lstm.errors import ECGError

    s = studies_session.store()
    try:
        row = s.get(sid)
        options = row["options"] or {}
        key = "study-" + row["manifest"][:20]  # the files' and options' hash, as a digest of them would be
        if key == st.session_state.get("analysis_key") and studies_session.study_id() == sid:
            return True
        result = _stored(s.url, sid, key, options.get("fs"))
    except ECGError as e:
        _fail("study", e)
        return False
    _set_current(result, f"study {sid}: {row['label']}", key)
    st.session_state["record_path"] = None
    st.session_state["study_id"] = sid
    studies_session.load_saved(sid)
    return True


def fetch_physionet(db: str, record: str, out_root: Path) -> Path:
    """Download one PhysioNet record (verified against SHA256SUMS) into ``out_root/db``
    (from ``$ECG_MIRROR`` when set) and return its path without extension."""
    from data_scripts.download import ensure_records
    from ecg_lstm.errors import RecordError

    db, record = db.strip().strip("/"), record.strip()
    if not db or not record or "/" in db or ".." in record:
        raise RecordError("give a PhysioNet database (e.g. mitdb) and a record name (e.g. 208)")
    folder = ensure_records(db, [record], out=out_root)
    return Path(folder) / record
