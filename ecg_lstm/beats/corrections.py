"""Reviewer corrections of beat labels, stored as WFDB annotation files bound to their record.

A corrections file (default extension ``cor``, next to the record: ``<record>.cor``) holds the
*reviewed beats*, one annotation each, with the MIT-BIH symbol of its AAMI class: N -> ``N``,
S -> ``A``, V -> ``V``, F -> ``F``, Q -> ``Q``. These are ordinary beat symbols, so PhysioNet
tools and the reference-annotation reader (``read_record(..., annotator="cor")`` then
``beats.aami.reference_beats``) read them back as the same AAMI classes.

Beside the beats, a file written here carries two notes (NOTE annotations, symbol ``"``, that
``wfdb.rdann`` reads as ordinary annotations and that no beat reader counts):

- at sample 0, the record's identity: ``ecg-lstm corrections v1 {"record": name, "fs": Hz,
  "samples": samples per lead, "lead": lead name, "sha256": hex digest of that lead}``;
- at the last beat, an end mark: ``ecg-lstm corrections end {"beats": number of beats}``.

Beat edits use WFDB codes too: a deleted beat, and each beat of a span marked as artefact, is an
isolated QRS-like artefact (``|``) with the note ``deleted`` or ``artefact``; a beat the reviewer
added is an ordinary beat annotation with the note ``added`` (:data:`EDIT_NOTES`).

Reading checks a file against the record before any label is used: larger than the record
could need (more than two annotations per beat of it), a symbolic link, cut short (identity but
no end mark), written for another signal (identity), or, without identity (another tool wrote
it), beats of which fewer than 95 % lie within 150 ms of a beat of the record: each is refused
with a :class:`~ecg_lstm.errors.CorrectionsError` naming the file as the user gave it.
``analyze --labels cor``, ``make train CORRECTIONS=DIR`` and the dashboard read this format.
"""
from __future__ import annotations

import json
import math
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import CorrectionsError, ForeignCorrectionsError, MissingFileError
from ..io.read import FILE_SUFFIXES
from .aami import AAMI_MAP, CLASSES
from .annotation_bytes import NOTE, parse_annotations
from .ec57 import match_beats
from .record_identity import END_NOTE, IDENTITY_NOTE, RecordIdentity, lead_key, signal_sha256

DEFAULT_EXTENSION = "cor"
#: AAMI class -> MIT-BIH symbol written to the file.
SYMBOL = {"N": "N", "S": "A", "V": "V", "F": "F", "Q": "Q"}
#: Edit codes of a review (deleted beat, beat in an artefact span) -> (WFDB symbol, note).
EDIT_SYMBOL = {"X": ("|", "deleted"), "~": ("|", "artefact")}
#: Note of a beat the reviewer added; the notes of the edits, read back.
ADDED_NOTE = "added"
EDIT_NOTES = {"deleted": "X", "artefact": "~"}
#: Beats a second a record could hold at most (300 bpm), for the limits before its beats are known.
MAX_BEATS_PER_S = 5.0
#: Bytes one annotation may take: 2, or 8 after a gap over 1023 samples (a SKIP word), with room
#: for the channel, number and subtype words and a short note that other tools add.
BYTES_PER_ANNOTATION = 16
#: Bytes of the notes and marks around the beats (sampling rate, identity, end mark: about 300).
HEAD_BYTES = 1024
#: Share of the beats of a file without identity that must lie near a beat of the record.
MATCH_SHARE = 0.95
TOLERANCE_S = 0.15


def _check_extension(extension: str, write: bool = False) -> str:
    """wfdb writes letters only; PhysioNet annotators read may have digits and "_" ("pu0")."""
    ok = str(extension).isalpha() if write else str(extension).replace("_", "a").isalnum()
    if not extension or not ok or len(str(extension)) > 16:
        raise ValueError(f"annotation extension {extension!r} must be 1-16 letters"
                         f"{'' if write else ', digits or _'}, e.g. 'cor'")
    return str(extension)


def write_labels(out_dir, record_name: str, samples, labels, fs: float, extension: str = DEFAULT_EXTENSION, *,
                 identity: RecordIdentity | None = None, added=()) -> Path:
    """Write reviewed beats to ``<out_dir>/<record_name>.<extension>``; returns the path.

    ``samples``: sample numbers at ``fs`` (Hz); ``labels``: "N"/"S"/"V"/"F"/"Q". Beats are written in
    time order; a beat given twice keeps its last label. A label may also be an edit code ("X" deleted,
    "~" artefact: :data:`EDIT_SYMBOL`); ``added``: samples of beats the reviewer added.
    ``identity`` (:func:`record_identity`) binds the file to its record; every writer of this
    project gives it. Without it the file is as another tool writes one,
    accepted on reading only when its beats match the record's.
    """
    import wfdb

    extension = _check_extension(extension, write=True)
    samples = np.asarray(samples, dtype=np.int64).reshape(-1)
    labels = [str(x) for x in np.asarray(labels).reshape(-1)]
    if len(samples) != len(labels):
        raise ValueError(f"{len(samples)} samples but {len(labels)} labels: give one label per beat")
    bad = sorted({x for x in labels if x not in SYMBOL and x not in EDIT_SYMBOL})
    if bad:
        raise ValueError(f"unknown beat label(s) {bad}: use one of {', '.join(CLASSES)}")
    if len(samples) == 0:
        raise ValueError("no reviewed beats to write")
    if samples.min() < 0:
        raise ValueError("sample numbers must not be negative")
    last = {int(s): lab for s, lab in zip(samples, labels)}  # last label of a beat wins
    s = np.array(sorted(last), dtype=np.int64)
    added = {int(x) for x in added}
    sym = [SYMBOL[last[int(x)]] if last[int(x)] in SYMBOL else EDIT_SYMBOL[last[int(x)]][0] for x in s]
    notes = [EDIT_SYMBOL[last[int(x)]][1] if last[int(x)] in EDIT_SYMBOL else ADDED_NOTE if int(x) in added else ""
             for x in s]
    if identity is not None:
        if not math.isclose(identity.fs, fs, rel_tol=1e-9) or s[-1] >= identity.n_samples:
            raise ValueError(f"the beats (at {fs:g} Hz, last at sample {s[-1]}) do not fit {identity.describe()}")
        end = END_NOTE + json.dumps({"beats": sum(x in SYMBOL for x in last.values())})
        s = np.concatenate([[0], s, [s[-1]]])
        sym, notes = ['"'] + sym + ['"'], [identity.note()] + notes + [end]
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    wfdb.wrann(record_name, extension, s, symbol=sym, aux_note=notes, fs=fs, write_dir=str(out_dir))
    return out_dir / f"{record_name}.{extension}"


def labels_path(record_path, extension: str = DEFAULT_EXTENSION, directory=None) -> Path:
    """Where the corrections of the record at ``record_path`` (with or without extension) live."""
    p = Path(record_path)
    stem = p.stem if p.suffix.lower() in (".hea", ".dat", *FILE_SUFFIXES) else p.name
    return Path(directory or p.parent) / f"{stem}.{_check_extension(extension)}"


def max_annotations(record, n_beats: int | None = None) -> int:
    """Most annotations a corrections file of ``record`` may hold: two per beat (``n_beats``, the
    beats found in it; default: :data:`MAX_BEATS_PER_S` over its duration), plus the notes."""
    if n_beats is None:
        n_beats = math.ceil(record.duration_s * MAX_BEATS_PER_S)
    return 2 * int(n_beats) + 16


def max_bytes(record, n_beats: int | None = None) -> int:
    """Largest corrections file of ``record`` read, in bytes (checked before a byte is parsed)."""
    return HEAD_BYTES + BYTES_PER_ANNOTATION * max_annotations(record, n_beats)


@dataclass
class Corrections:
    """The reviewed beats of a corrections file, checked against its record.

    ``samples`` (sorted, unique, inside the record) and ``labels`` ("N".."Q"); ``identity`` as
    written in the file (None: written by another tool, accepted because its beats match);
    counts of what was left out: ``duplicates`` (beat annotations at a sample already given;
    the last label wins), ``unknown`` (codes WFDB does not define), ``other`` (non-beat
    annotations), ``outside`` (beats before the record's start or after its end)."""

    samples: np.ndarray
    labels: np.ndarray
    identity: RecordIdentity | None = None
    duplicates: int = 0
    unknown: int = 0
    other: int = 0
    outside: int = 0
    renamed_from: str | None = field(default=None)
    #: Beat edits: {sample: "X" deleted, "~" artefact, or the label of a beat the reviewer added}.
    edits: dict = field(default_factory=dict)

    def notes(self) -> list[str]:
        """Sentences on what was left out or worth knowing; empty when nothing was."""
        out = []
        if self.duplicates:
            out.append(f"{self.duplicates:,} annotations repeat a beat already given (same sample) and were "
                       "ignored; each beat keeps its last label")
        if self.unknown:
            out.append(f"{self.unknown:,} annotations with codes WFDB does not define were ignored")
        if self.other:
            out.append(f"{self.other:,} annotations that are not beats (rhythm, noise, notes) were ignored")
        if self.outside:
            out.append(f"{self.outside:,} beats outside the record were ignored")
        if self.renamed_from:
            out.append(f"the file was written for record {self.renamed_from}, the same signal under another name")
        return out


def check_size(n_bytes: int, record, *, n_beats: int | None = None, shown_as: str = "the corrections file") -> None:
    """Refuse ``n_bytes`` more than the corrections of ``record`` could need (:func:`max_bytes`)."""
    limit = max_bytes(record, n_beats)
    if n_bytes > limit:
        raise CorrectionsError(f"{shown_as} is {n_bytes:,} bytes, more than the corrections of record {record.name} "
                               f"could need ({limit:,} bytes: two annotations per beat); it was not read. Open the "
                               "record without it, or use the file saved from its review")


def read_file(path, record, *, lead: str | int | None = None, peaks=None, shown_as: str | None = None) -> Corrections:
    """The corrections in the file ``path``, checked against ``record`` (see :func:`checked_bytes`
    and :func:`labels_from_bytes`). ``shown_as``: the name in messages (default: ``path``)."""
    shown = str(shown_as or path)
    data = checked_bytes(path, record, n_beats=None if peaks is None else len(peaks), shown_as=shown)
    return labels_from_bytes(data, record, lead=lead, peaks=peaks, shown_as=shown)


def checked_bytes(path, record, *, n_beats: int | None = None, shown_as: str | None = None) -> bytes:
    """The bytes of the corrections file ``path`` of ``record`` (with ``n_beats`` beats, when known).

    A symbolic link or anything but a regular file is refused, never followed; the size is checked
    (:func:`check_size`) before a byte is read, and no more than that bound is read.

    Raises
    ------
    MissingFileError
        No such file.
    CorrectionsError
        A link, not a regular file, too large, or unreadable.
    """
    path = Path(path)
    shown = str(shown_as or path)
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        raise MissingFileError(f"{shown} not found: no corrections file for record {record.name}") from None
    except OSError as e:
        raise CorrectionsError(f"{shown} could not be read ({e.strerror or type(e).__name__})") from None
    if stat.S_ISLNK(st.st_mode):
        raise CorrectionsError(f"{shown} is a symbolic link; corrections are read only from a regular file beside "
                               "the record: copy the file there instead of linking it")
    if not stat.S_ISREG(st.st_mode):
        raise CorrectionsError(f"{shown} is not a regular file; put the corrections file saved from the review there")
    check_size(st.st_size, record, n_beats=n_beats, shown_as=shown)
    limit = max_bytes(record, n_beats)
    try:  # O_NOFOLLOW: a link put in place after the check is not followed either
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(fd, "rb") as f:
            if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
                raise CorrectionsError(f"{shown} is not a regular file")
            data = f.read(limit + 1)
    except OSError as e:
        raise CorrectionsError(f"{shown} could not be read ({e.strerror or type(e).__name__})") from None
    check_size(len(data), record, n_beats=n_beats, shown_as=shown)  # it grew since the check
    return data


def labels_from_bytes(data: bytes, record, *, lead: str | int | None = None, peaks=None,
                      shown_as: str = "the corrections file") -> Corrections:
    """The corrections in ``data`` (a WFDB annotation file's bytes), checked against ``record``.

    Parameters
    ----------
    data : the file's bytes.
    record : the :class:`~ecg_lstm.io.record.Record` the corrections are for.
    lead : the lead analysed (name or index); a file without identity is matched to its beats.
    peaks : the record's beats (sample numbers), when known: they bound the file's size (two
        annotations per beat) and are what a file without identity must match; default: the
        bound from the record's duration, and the beats detected in ``lead``.
    shown_as : the file's name as the user gave it, for messages.

    Raises
    ------
    CorrectionsError
        Too large (before parsing), unreadable, cut short, or without beats.
    ForeignCorrectionsError
        Written for another record, or (without identity) beats that do not match this record's.
    """
    n_beats = None if peaks is None else len(peaks)
    check_size(len(data), record, n_beats=n_beats, shown_as=shown_as)
    ann = parse_annotations(data, max_annotations(record, n_beats), shown_as)
    identity, end, file_fs = _notes(ann, shown_as)
    if identity is not None and (end is None or not ann.ended):
        raise CorrectionsError(f"{shown_as} is cut short: it begins as the corrections of record {identity.name} but "
                               "its end is missing (the file was truncated when copied or saved); save the "
                               "corrections again from the review, or remove the file")
    if not ann.ended:
        raise CorrectionsError(f"{shown_as} could not be read: it is cut short or is not a WFDB annotation file "
                               "(no end-of-file mark); save the corrections again from the review, or remove the file")
    if end is not None and identity is None:
        raise CorrectionsError(f"{shown_as} is damaged: it has an end mark but no record identity; save the "
                               "corrections again from the review, or remove the file")
    symbols = ann.symbols()
    is_beat = np.array([s in AAMI_MAP for s in symbols], bool)
    note_idx = {i for i, t in ann.notes.items() if ann.code[i] == NOTE and t.startswith(("ecg-lstm corr", "## "))}
    unknown = int(sum(1 for s in symbols if not s))
    other = len(symbols) - int(is_beat.sum()) - unknown - len(note_idx)
    if end is not None and end != int(is_beat.sum()):
        raise CorrectionsError(f"{shown_as} is damaged: its end mark counts {end:,} beats but it holds "
                               f"{int(is_beat.sum()):,}; save the corrections again from the review")
    out = _unique_beats(ann.sample[is_beat], symbols[is_beat], record.n_samples)
    texts = [ann.notes.get(i, "") for i in range(len(symbols))]
    out.edits = {int(ann.sample[i]): EDIT_NOTES[texts[i]] for i in range(len(symbols))
                 if symbols[i] == "|" and texts[i] in EDIT_NOTES and 0 <= ann.sample[i] < record.n_samples}
    out.edits.update({int(ann.sample[i]): AAMI_MAP[str(symbols[i])] for i in np.flatnonzero(is_beat)
                      if texts[i] == ADDED_NOTE and 0 <= ann.sample[i] < record.n_samples})
    out.unknown, out.identity = unknown, identity
    out.other = other - sum(v in ("X", "~") for v in out.edits.values())
    if not len(out.samples) and not out.outside and not out.edits:
        raise CorrectionsError(f"{shown_as} holds no beat annotation ({len(symbols):,} annotations, none of them a "
                               "beat): it holds no corrections; remove it or save the corrections again")
    if identity is not None:
        out.renamed_from = _check_identity(identity, record, shown_as)
        return out
    if file_fs is not None and not math.isclose(file_fs, record.fs, rel_tol=1e-6):
        raise ForeignCorrectionsError(
            f"{shown_as} was written for a record sampled at {file_fs:g} Hz; record {record.name} is sampled at "
            f"{record.fs:g} Hz, so its sample numbers do not fit; open it with its own record")
    _check_beats_match(out, record, lead, peaks, shown_as)
    return out


def _notes(ann, shown: str) -> tuple[RecordIdentity | None, int | None, float | None]:
    """The identity, the end mark's beat count and the sampling-rate note of a file (None when absent)."""
    identity = end = fs = None
    for i, text in ann.notes.items():
        if ann.code[i] != NOTE:
            continue
        try:
            if text.startswith(IDENTITY_NOTE):
                if identity is not None:
                    raise ValueError("two identities")
                d = json.loads(text[len(IDENTITY_NOTE):])
                identity = RecordIdentity(str(d["record"]), float(d["fs"]), int(d["samples"]), str(d["lead"]),
                                          str(d["sha256"]))
                if len(identity.sha256) != 64 or not math.isfinite(identity.fs) or identity.fs <= 0:
                    raise ValueError("bad identity")
            elif text.startswith(END_NOTE):
                if end is not None or i != len(ann.sample) - 1:
                    raise ValueError("end mark not at the end")
                end = int(json.loads(text[len(END_NOTE):])["beats"])
            elif text.startswith("## time resolution:") and ann.sample[i] == 0 and fs is None:
                fs = float(text.split(":", 1)[1])
        except (ValueError, KeyError, TypeError, AttributeError, OverflowError):
            raise CorrectionsError(f"{shown} is damaged: a note of the file ({text[:40]!r}...) cannot be read; save "
                                   "the corrections again from the review, or remove the file") from None
    return identity, end, fs


def _unique_beats(samples: np.ndarray, symbols: np.ndarray, n_samples: int) -> Corrections:
    """One beat per sample (the last label wins, as the writer keeps it), those inside the record."""
    last = {int(s): AAMI_MAP[str(y)] for s, y in zip(samples, symbols)}
    s = np.array(sorted(last), dtype=np.int64)
    inside = (s >= 0) & (s < n_samples)
    labels = np.array([last[int(x)] for x in s[inside]], dtype="<U1")
    return Corrections(s[inside], labels, duplicates=len(samples) - len(s), outside=int((~inside).sum()))


def _check_identity(identity: RecordIdentity, record, shown: str) -> str | None:
    """Refuse a file written for another signal; returns the name it was written for when only
    the name differs (a renamed copy of the same signal), else None."""
    mine = f"record {record.name} ({record.fs:g} Hz, {record.n_samples:,} samples)"
    why = None
    if not math.isclose(identity.fs, record.fs, rel_tol=1e-9):
        why = "the sampling rates differ"
    elif identity.n_samples != record.n_samples:
        why = "the lengths differ"
    else:
        leads = [j for j, n in enumerate(record.lead_names) if lead_key(n) == identity.lead]
        if not leads:
            why = f"this record has no lead {identity.lead}"
        elif all(signal_sha256(record.signal[:, j]) != identity.sha256 for j in leads):
            why = f"the signal of lead {identity.lead} differs"
    if why:
        raise ForeignCorrectionsError(
            f"{shown} holds the corrections of {identity.describe()}, not of {mine}: {why}. Open {shown} with "
            f"record {identity.name}, or remove it from beside record {record.name}")
    return identity.name if identity.name != str(record.name) else None


def _check_beats_match(c: Corrections, record, lead, peaks, shown: str) -> None:
    """Refuse a file without identity unless 95 % of its beats lie within 150 ms of the record's."""
    if peaks is None:
        from ..signal.peaks import ecg_peaks
        from ..signal.spans import bridge_gaps

        peaks, _ = ecg_peaks(bridge_gaps(record.lead(lead))[0], record.fs)
    ri, _ = match_beats(c.samples, np.asarray(peaks, np.int64), int(round(TOLERANCE_S * record.fs)))
    n = len(c.samples) + c.outside
    if len(ri) >= MATCH_SHARE * n:
        return
    raise ForeignCorrectionsError(
        f"{shown} has no record identity (another tool wrote it) and only {len(ri):,} of its {n:,} beats "
        f"({100 * len(ri) / max(n, 1):.0f} %) lie within {TOLERANCE_S * 1000:.0f} ms of a beat of record "
        f"{record.name} ({100 * MATCH_SHARE:.0f} % needed): it is probably the corrections of another record. Open it "
        "with its own record, or save the corrections again from a review of this one")


def read_labels(record_path, extension: str = DEFAULT_EXTENSION, directory=None, *, record,
                lead: str | int | None = None, peaks=None) -> tuple[np.ndarray, np.ndarray]:
    """Sample numbers (sorted) and AAMI labels ("N".."Q") of the reviewed beats of ``record``.

    ``record_path``: the record (WFDB path without extension, or an .edf/.csv file); the file read
    is ``<directory or its folder>/<stem>.<extension>``, checked against ``record`` (the record read
    from there; see :func:`read_file`, which also gives what was left out). Non-beat annotations
    are skipped.
    """
    c = read_file(labels_path(record_path, extension, directory), record, lead=lead, peaks=peaks)
    return c.samples, c.labels


def match_labels(peaks, samples, labels, fs: float, tolerance_s: float = TOLERANCE_S) -> tuple[np.ndarray, np.ndarray]:
    """Beat indices (into ``peaks``) and labels of the reviewed beats that fall within
    ``tolerance_s`` of a beat (closest first, one to one, as EC57 matches beats); reviewed beats
    with no beat near them are dropped."""
    samples, labels = np.asarray(samples, np.int64), np.asarray(labels)
    ri, di = match_beats(samples, np.asarray(peaks, np.int64), int(round(tolerance_s * fs)))
    return di, labels[ri]

