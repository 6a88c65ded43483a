"""Sidebar: choose a record (upload, local folder, PhysioNet); errors show beside their source.

The record changes only on an explicit action: new files in the uploader, the Open
button, the PhysioNet button. Picking a name in the local list, or a rerun with the
old upload still in the uploader, does not switch the record shown.

The sidebar is the page's first view: it is drawn without the library (imported by what
opens a record), but for the sentence on what is kept, which needs the study store and
goes where :func:`render` leaves room for it (:func:`what_is_kept`).
"""
from __future__ import annotations

from pathlib import Path

import streamlit as st

from dashboard import loading
from dashboard.markdown_text import md_escape

HELP_UPLOAD = ("WFDB: the .hea and .dat files (and .atr for a comparison with reference beats), "
               "selected together, or one .zip of them. Also EDF/EDF+ (.edf), CSV (.csv), ISHNE Holter (.ecg), "
               "DICOM waveform ECG (.dcm), and HL7 aECG or Philips Sierra XML (.xml).")


def _error_here(where: str) -> None:
    err = st.session_state.get("load_error")
    if err and err[0] == where:
        # The message may quote a file or lead name: record text, so escaped.
        st.error(md_escape(err[1]), icon=":material/error:")


def uploaded_files(uploads) -> dict:
    """Streamlit UploadedFile list -> {file name: UploadedFile} (file objects, read where they are)."""
    return {Path(u.name).name: u for u in uploads or []}


def render():
    """The sidebar; returns the room left at its end for :func:`what_is_kept` (an ``st.empty()``)."""
    from dashboard import studies_session

    st.sidebar.header("Record")
    with st.sidebar:
        st.text_input("Reviewer", key="reviewer_name", max_chars=200, placeholder=studies_session.who(),
                      help="Your name, as the audit trail and the report record it (default: this computer's "
                           "user name).")
        _upload()
        _local()
        _physionet()
        _error_here("study")
        return st.empty()


def what_is_kept(room) -> None:
    """What is kept of an opened record, and where, in ``room`` (from :func:`render`). It opens the
    study store: on the first view, the caller fills it once the rest of the page is drawn."""
    from dashboard.sections import study

    room.caption(md_escape(study.what_is_kept()))


def _upload() -> None:
    st.subheader("Upload", divider="gray")
    uploads = st.file_uploader("ECG record files", accept_multiple_files=True, key="upload", help=HELP_UPLOAD)
    fs = st.number_input("Sampling rate for a CSV without a time column (Hz)", min_value=0.0, max_value=10000.0,
                         value=None, step=1.0, key="csv_fs", placeholder="from the file")
    state = st.session_state
    # Files already written to disk come back from Streamlit as "deleted" (their bytes were handed back).
    fresh = [u for u in uploads or [] if hasattr(u, "getvalue")]
    ids = tuple(u.file_id for u in uploads or [])
    if fresh and ids != state.get("upload_ids"):
        state["upload_ids"] = ids
        state.pop("upload_seen", None)  # the same files given again open again
        earlier = len(fresh) < len(ids)  # the uploader still lists files taken before: they belong with these
        if _spool(fresh, state.get("upload_spool") if earlier else None):
            # Read in a fresh run: this one's frames still hold the uploaded bytes.
            pass
    elif not ids and not state.get("upload_spool"):
        state.pop("upload_seen", None)
    spooled = state.get("upload_spool")
    if spooled and new_upload(state, spooled["digest"], fs):
        with st.spinner("Reading and analysing the record..."):
            ok = loading.open_upload(spooled, fs=fs or None)
        _opened(ok, spooled["cor"], None)
    _error_here("upload")


def _spool(uploads, earlier: dict | None = None) -> bool:
    """New files in the uploader: their corrections file set apart, the record's files written to disk
    (``upload_spool``, with the ``earlier`` spooled files the uploader still lists) and handed back to
    Streamlit, so that the server does not hold them in memory. False when nothing was spooled."""
    # A .cor file holds a reviewer's corrections: read by the review, not by the record reader
    # (and left out of the record's digest, so the record keeps its identity with or without it).
    from dashboard import upload_spool
    from ecg_lstm.errors import ECGError
    from ecg_lstm.review import split_corrections

    state = st.session_state
    state.pop("upload_spool", None)
    files = uploaded_files(uploads)
    record_files, cor = split_corrections({n: u.getvalue() for n, u in files.items()})  # no copies
    kept = upload_spool.files_of(earlier) or {}
    if not record_files and not kept:
        state["load_error"] = ("upload", "a corrections file (.cor) came without its record; "
                                         "upload it together with the record's files")
        return False
    try:
        spooled = upload_spool.spool({**kept, **{n: files[n] for n in record_files}})
    except ECGError as e:
        state["load_error"] = ("upload", str(e))
        return False
    names = sorted({*kept, *record_files})
    spooled.update(digest=loading.digest(record_files, earlier["digest"] if kept else None),
                   cor=cor or (earlier or {}).get("cor"), stems=sorted({Path(n).stem for n in names}))
    state["upload_spool"] = spooled
    upload_spool.release(uploads)
    return True


def _opened(ok: bool, cor: tuple[bytes, str] | None, path: Path | None) -> None:
    """After an open: remember where a local record lives (corrections can be saved beside
    it) and hand the corrections that came with it to the review."""
    if not ok:
        return
    st.session_state["record_path"] = str(path) if path else None
    if cor:
        st.session_state["incoming_corrections"] = cor


def new_upload(state, files_digest: str, fs) -> bool:
    """Whether the upload (its ``files_digest``) or the sampling rate has not been acted on yet; marks
    them seen.

    The upload stays across reruns: opening it on every rerun would switch back to it after the
    user opened a local record."""
    sig = loading.digest({}, files_digest, fs or None)
    if state.get("upload_seen") == sig:
        return False
    state["upload_seen"] = sig
    return True


def _local() -> None:
    folder = loading.data_dir()
    names = loading.local_records(folder)
    st.subheader("Local records", divider="gray")
    if not names:
        st.info(f"No sample records in {md_escape(folder)}. `make dashboard` fetches a few from PhysioNet when "
                "the internet (or an `ECG_MIRROR` copy) is reachable; without it, upload a record above.",
                icon=":material/cloud_off:")
        return
    default = names.index("208") if "208" in names else 0
    name = st.selectbox("Record", names, index=default, key="local_name")
    if st.button("Open", key="local_open", type="primary"):
        with st.spinner(f"Analysing {md_escape(name)}..."):
            ok = loading.open_path(folder / name, f"local: {name}")
        _opened(ok, _local_corrections(folder / name) if ok else None, folder / name)
    _error_here("local")


def _local_corrections(path: Path) -> tuple[bytes, str] | None:
    """The corrections file beside the local record just opened, if there is one. One that cannot be
    read within the record's limits (a symbolic link, too large) is not read: the page says why, as
    an error, and the record stays open without it."""
    from ecg_lstm.errors import ECGError
    from ecg_lstm.review import local_corrections

    try:
        return local_corrections(path, st.session_state["analysis"])
    except ECGError as e:
        st.session_state["review_error"] = f"{e}. The record is shown without these corrections."
        return None


def _physionet() -> None:
    with st.expander("From PhysioNet"):
        db = st.text_input("Database", value="mitdb", key="pn_db")
        rec = st.text_input("Record", value="", key="pn_record", placeholder="e.g. 201")
        if st.button("Download and open", key="pn_open"):
            from ecg_lstm.errors import ECGError

            with st.status(f"Fetching {md_escape(db)}/{md_escape(rec)}...", expanded=False) as status:
                try:
                    path = loading.fetch_physionet(db, rec, loading.ROOT / "data")
                except (ECGError, OSError) as e:
                    st.session_state["load_error"] = ("physionet", str(e))
                    status.update(label="Download failed", state="error")
                else:
                    status.update(label="Analysing...")
                    ok = loading.open_path(path, f"PhysioNet: {db}/{rec}", where="physionet")
                    _opened(ok, _local_corrections(path) if ok else None, path)
                    status.update(label="Done" if ok else "Could not open the record",
                                  state="complete" if ok else "error")
        _error_here("physionet")
