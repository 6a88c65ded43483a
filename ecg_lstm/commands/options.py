"""What every subcommand shares: the record options, the argument checks, and safe messages.

Exit status 2 (bad arguments) comes from :func:`check_arguments`, run before anything is
read or written; :func:`failure_message` is the one line a failed record gets.
"""
from __future__ import annotations

import argparse
import math
import os
import re
from pathlib import Path

from ..errors import BadArgumentError, ECGError, RecordError
from ..io.limits import MAX_FS, MIN_FS


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


def parse_lead(value: str | None):
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
        raise BadArgumentError(f"{option} {terminal_safe(str(ext))!r} is not a WFDB annotator name ({allowed}, "
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
            raise BadArgumentError(f"{option} {terminal_safe(str(out))} is a file, not a folder; give a folder "
                                   "(it is created if missing)")
        probe = out
    else:
        probe = next((p for p in out.absolute().parents if p.exists()), None)
        if probe is None or not probe.is_dir():
            raise BadArgumentError(f"{option} {terminal_safe(str(out))} cannot be created: "
                                   f"{terminal_safe(str(probe))} is not a folder")
    # os.access honours read-only file systems; root passes permission bits, as it would when writing.
    if not os.access(probe, os.W_OK | os.X_OK):
        what = "folder" if probe == out else f"parent folder {terminal_safe(str(probe))} of"
        raise BadArgumentError(f"{option} {terminal_safe(str(out))}: the {what} is not writable; "
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


def terminal_safe(text: str) -> str:
    """``text`` with control characters escaped, so a file name or a record's text cannot
    drive the terminal (colour codes, cursor moves, a fake prompt)."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in str(text))


def failure_message(e: Exception) -> str:
    """One line for a failed record: our own errors say what to do; the rest are named."""
    if isinstance(e, ECGError):
        return terminal_safe(str(e))
    if isinstance(e, OSError):  # output folder full, removed or made read-only meanwhile
        where = f" ({terminal_safe(e.filename)})" if e.filename else ""
        return f"cannot write or read a file{where}: {terminal_safe(e.strerror or str(e))}"
    if isinstance(e, MemoryError):
        return "not enough memory for this record; lower --max-hours/--max-signal-mb or use a bigger machine"
    return f"unexpected {type(e).__name__}: {terminal_safe(str(e))} (please report this with the record's header)"
