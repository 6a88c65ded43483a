"""Command line: ``python -m ecg_lstm analyze RECORD [RECORD ...] --out-dir DIR``.

The interface is a contract other tools depend on; keep it stable.

Exit status: 0 every record done, 1 some records failed (each reported on stderr
with the reason, the others still analysed), 2 bad arguments (checked by
:func:`check_arguments` before anything is read or written).
"""
from __future__ import annotations

import argparse
import math
import os
import re
import sys
import time
from pathlib import Path

from .errors import BadArgumentError, ECGError


def record_options() -> argparse.ArgumentParser:
    """How a record is read and its beats found: the options ``analyze``, ``explain`` and ``batch``
    share (an argparse parent parser), so they read the same way and say the same thing."""
    p = argparse.ArgumentParser(add_help=False)
    p.add_argument("--lead", help="lead name or index (default: MLII/II, else the first ECG lead)")
    p.add_argument("--reference-beats", action="store_true",
                   help="take beat positions from the reference annotation file instead of detecting them")
    p.add_argument("--annotator", default="atr", help="reference annotation extension (default: atr)")
    p.add_argument("--fs", type=float, help="sampling rate in Hz, for a CSV without a time column")
    p.add_argument("--model", help="beat classifier weights (default: the shipped model)")
    p.add_argument("--max-hours", type=float, default=48.0, help="refuse records longer than this (default 48)")
    p.add_argument("--max-signal-mb", type=float,
                   help="refuse records whose decoded signal needs more memory than this, checked from the "
                        "header (default: $ECG_MAX_SIGNAL_MB, else 1024)")
    return p


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m ecg_lstm", description="ECG beats, vitals and arrhythmias.")
    sub = p.add_subparsers(dest="command", required=True)
    a = sub.add_parser("analyze", help="detect and label beats, compute vitals, write CSV + JSON per record",
                       parents=[record_options()])
    a.add_argument("records", nargs="+", metavar="RECORD",
                   help="WFDB record path without extension, or an .edf / .csv file")
    a.add_argument("--out-dir", required=True, help="folder for <record>.csv and <record>.json")
    a.add_argument("--write-annotations", metavar="EXT",
                   help="also write a WFDB annotation file <record>.EXT with the result")
    a.add_argument("--rhythm-model", help="rhythm classifier weights (default: the shipped model)")
    a.add_argument("--no-classify", action="store_true", help="only detect beats and compute vitals")
    a.add_argument("--adapt", action="store_true",
                   help="adapt the beat classifier to each record without labels (beat templates)")
    a.add_argument("--labels", metavar="EXT",
                   help="reviewed beats in the WFDB annotation file <record>.EXT (e.g. cor): the classifier "
                        "adapts to them and relabels the record")
    from .batch.cli import add_parser as add_batch  # the batch options live beside the batch code
    add_batch(sub)
    from .explain.command import add_parser as add_explain  # the explain options live beside its code
    add_explain(sub)
    return p


def _lead(value: str | None):
    return int(value) if value is not None and value.isdigit() else value


# -- argument checks (shared by every subcommand: main() runs them before dispatching) --------------
#: An annotation file the CLI writes: wfdb.wrann accepts letters only ("lstm", "cor").
WRITE_EXTENSION = re.compile(r"[A-Za-z]{1,16}")
#: One it reads: letters, digits and "_" as PhysioNet's annotators ("atr", "pu0", "q1c"); no
#: dot, slash or "..", so the file stays beside its record.
READ_EXTENSION = re.compile(r"[A-Za-z0-9_]{1,16}")
#: Never written as annotations: a record's header and signal files, and the other outputs.
RESERVED_EXTENSIONS = {"hea", "dat", "edf", "csv", "json"}


def check_outputs(record_path: str | os.PathLike, name: str, out_dir: str | os.PathLike,
                  annotation_ext: str | None = None, annotator: str | None = "atr", written=()) -> None:
    """Refuse (:class:`RecordError`) outputs that would replace what the user had.

    ``<name>.csv/.json/.<annotation_ext>`` in ``out_dir`` must not be the
    record's own files (``--out-dir`` the record's folder: a CSV record, its
    header, signal or reference annotations) nor the outputs of another record
    of the same name written earlier in this run (``written``: names so far).
    """
    from .errors import RecordError

    out = Path(out_dir)
    if name in written:
        raise RecordError(f"another record named {name!r} was written to {out} in this run; analyse records "
                          "that share a name into separate --out-dir folders")
    src = Path(record_path)
    inputs = [src, *(src.parent / f"{name}.{e}" for e in ("hea", "dat", annotator) if e)]
    planned = [out / f"{name}.{e}" for e in ("csv", "json", annotation_ext) if e]
    for p in planned:
        if p.is_file() and any(q.is_file() and p.samefile(q) for q in inputs):
            raise RecordError(f"writing {p} would replace the record's own file; choose another --out-dir")


def check_extension(ext: str, option: str, *, write: bool = False) -> str:
    """``ext`` if it is a plain WFDB annotator name, else :class:`BadArgumentError`."""
    pattern = WRITE_EXTENSION if write else READ_EXTENSION
    if not isinstance(ext, str) or not pattern.fullmatch(ext):
        allowed = "1-16 letters" if write else "1-16 letters, digits or _"
        raise BadArgumentError(f"{option} {_plain(str(ext))!r} is not a WFDB annotator name ({allowed}, "
                               f"e.g. {'lstm' if write else 'atr'}); it names a file beside the record")
    return ext


def check_out_dir(path: str | os.PathLike, option: str = "--out-dir") -> Path:
    """``path`` as a folder that exists and is writable, or can be created; else :class:`BadArgumentError`.

    Nothing is created here: a folder that does not exist yet is made when the
    first output is written, so a later bad argument leaves no trace.
    """
    out = Path(path)
    if not str(path).strip():
        raise BadArgumentError(f"{option} is empty; give a folder for the outputs")
    if out.exists():
        if not out.is_dir():
            raise BadArgumentError(f"{option} {_plain(str(out))} is a file, not a folder; give a folder "
                                   "(it is created if missing)")
        probe = out
    else:
        probe = next((p for p in out.absolute().parents if p.exists()), None)
        if probe is None or not probe.is_dir():
            raise BadArgumentError(f"{option} {_plain(str(out))} cannot be created: "
                                   f"{_plain(str(probe))} is not a folder")
    # os.access honours read-only file systems; root passes permission bits, as it would when writing.
    if not os.access(probe, os.W_OK | os.X_OK):
        what = "folder" if probe == out else f"parent folder {_plain(str(probe))} of"
        raise BadArgumentError(f"{option} {_plain(str(out))}: the {what} is not writable; "
                               "choose another folder or fix its permissions")
    return out


def _positive(value, option: str, lo: float = 0.0, hi: float = math.inf) -> None:
    if value is not None and not (math.isfinite(value) and lo < value <= hi):
        raise BadArgumentError(f"{option} {value!r} must be a number in ({lo:g}, {hi:g}]")


def check_arguments(args: argparse.Namespace) -> argparse.Namespace:
    """Check the options that several subcommands share, before any output.

    Looks at whichever of ``out_dir``, ``annotator``, ``labels`` (annotation
    extensions read), ``write_annotations`` (written), ``fs``, ``max_hours``
    and ``max_signal_mb`` ``args`` has; raises :class:`BadArgumentError`
    naming the option. Records themselves are checked one by one as they are
    read (a missing record is a failed record, exit status 1, not a bad argument).
    """
    from .formats import MAX_FS, MIN_FS

    if getattr(args, "out_dir", None) is not None:
        check_out_dir(args.out_dir)
    for name in ("annotator", "labels"):
        if getattr(args, name, None) is not None:
            check_extension(getattr(args, name), "--" + name)
    if getattr(args, "write_annotations", None) is not None:
        check_extension(args.write_annotations, "--write-annotations", write=True)
        if args.write_annotations.lower() in RESERVED_EXTENSIONS:
            raise BadArgumentError(f"--write-annotations {args.write_annotations} would write over a record's "
                                   f".{args.write_annotations} file or another output; choose another name, "
                                   "e.g. lstm")
    if getattr(args, "fs", None) is not None and not (math.isfinite(args.fs) and MIN_FS <= args.fs <= MAX_FS):
        raise BadArgumentError(f"--fs {args.fs!r} is not a sampling rate in {MIN_FS:g}..{MAX_FS:g} Hz")
    _positive(getattr(args, "max_hours", None), "--max-hours")
    _positive(getattr(args, "max_signal_mb", None), "--max-signal-mb")
    if getattr(args, "lead", None) is not None and not str(args.lead).strip():
        raise BadArgumentError("--lead is empty; give a lead name (e.g. V5) or index (0, 1, ...)")
    return args


def _plain(text: str) -> str:
    """``text`` with control characters escaped, so a file name or a record's text cannot
    drive the terminal (colour codes, cursor moves, a fake prompt)."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in str(text))


def analyze(args) -> int:
    from .analyze import analyze_record, write_outputs
    from .record import read_record

    # Models are loaded once, then used for every record.
    clf = rhythm = None
    if not args.no_classify:
        from .classifier.predict import BeatClassifier
        from .rhythm.predict import RhythmClassifier

        try:
            clf = BeatClassifier.load(args.model)
            rhythm = RhythmClassifier.load(args.rhythm_model)
        except ECGError as e:  # a --model that cannot load is a bad argument, found before any output
            print(f"error: {_plain(str(e))}", file=sys.stderr)
            return 2
    failed = 0
    lead = _lead(args.lead)
    written: set[str] = set()
    for path in args.records:
        t0 = time.perf_counter()
        try:
            # The reader checks the chosen lead (not the default one) for content.
            rec = read_record(path, lead=lead, annotator=args.annotator, fs=args.fs, max_hours=args.max_hours,
                              max_signal_mb=args.max_signal_mb)
            check_outputs(path, rec.name, args.out_dir, args.write_annotations, args.annotator, written)
            reviewed = None
            if getattr(args, "labels", None) and clf is not None:
                from .corrections import read_labels

                reviewed = read_labels(path, args.labels)
            res = analyze_record(rec, lead=lead, reference_beats=args.reference_beats,
                                 classifier=clf, rhythm=rhythm, adapt=getattr(args, "adapt", False),
                                 reviewed=reviewed)
            write_outputs(res, args.out_dir, annotation_ext=args.write_annotations)
            written.add(rec.name)
        except Exception as e:  # one record's failure never stops the others
            failed += 1
            print(f"error: {_plain(path)}: {_failure(e)}", file=sys.stderr)
            continue
        print(f"{_plain(rec.name)}: {len(res.beats)} beats, {time.perf_counter() - t0:.2f} s")
    return 1 if failed else 0


def _failure(e: Exception) -> str:
    """One line for a failed record: our own errors say what to do; the rest are named."""
    if isinstance(e, ECGError):
        return _plain(str(e))
    if isinstance(e, OSError):  # output folder full, removed or made read-only meanwhile
        where = f" ({_plain(e.filename)})" if e.filename else ""
        return f"cannot write or read a file{where}: {_plain(e.strerror or str(e))}"
    if isinstance(e, MemoryError):
        return "not enough memory for this record; lower --max-hours/--max-signal-mb or use a bigger machine"
    return f"unexpected {type(e).__name__}: {_plain(str(e))} (please report this with the record's header)"


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)  # argparse's own errors exit with status 2
    try:
        check_arguments(args)
    except BadArgumentError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if args.command == "analyze":
        return analyze(args)
    if args.command == "batch":
        from .batch.cli import run as batch

        return batch(args)
    if args.command == "explain":
        from .explain.command import run as explain

        return explain(args)
    return 2


if __name__ == "__main__":
    sys.exit(main())
