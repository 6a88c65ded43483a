"""The ``batch`` subcommand: parser and entry point (main.py adds it to ``python -m ecg_lstm``)."""
from __future__ import annotations

import argparse
import sys

from ..errors import ECGError
from .options import (
    check_out_dir,  # the CLI's own check, shared by every subcommand's output folder
    record_options,
)


def add_parser(sub) -> argparse.ArgumentParser:
    """Add ``batch`` to the subparsers ``sub`` of the main parser."""
    b = sub.add_parser("batch", help="analyse an archive on Ray into Parquet (resumable)",
                       description="Analyse every record of SOURCE(s) on Ray into a Parquet archive: "
                                   "beats/ (partitioned by record), records.parquet, events.parquet. "
                                   "A rerun skips the records already done and retries the failed ones.",
                       parents=[record_options()])
    b.add_argument("sources", nargs="+", metavar="SOURCE",
                   help="a folder (searched recursively for .hea/.edf/.csv), a text file listing record "
                        "paths, or a PhysioNet database name (downloaded; $ECG_MIRROR honoured)")
    b.add_argument("--out", required=True, help="archive folder (on a cluster: a path every node sees)")
    b.add_argument("--address", help="Ray cluster to join (e.g. auto or ray://head:10001); default: a local Ray")
    b.add_argument("--workers", type=int, help="number of workers, each with the models loaded once "
                                               "(default: one per CPU)")
    b.add_argument("--follow-links", action="store_true",
                   help="follow links to folders inside a SOURCE folder (each folder walked once, loops "
                        "included); by default they are skipped, so a walk stays inside its sources")
    b.add_argument("--download-dir", default="data", help="where a database SOURCE is downloaded (default: data)")
    b.add_argument("--rhythm-model", help="rhythm classifier weights (default: the shipped model)")
    b.add_argument("--no-classify", action="store_true", help="only detect beats and compute vitals")
    b.add_argument("--adapt", action="store_true",
                   help="adapt the beat classifier to each record without labels (as analyze --adapt)")
    b.add_argument("--quiet", action="store_true", help="no progress bar")
    return b


def run(args) -> int:
    """Run a batch from parsed arguments; exit status 0, 1 (some records failed) or 2 (nothing ran)."""
    from ..batch.runner import run_batch
    from ..batch.sources import find_records
    from ..batch.worker import AnalysisOptions
    from ..errors import BadArgumentError

    try:  # bad arguments: exit 2 before anything is read, written or started
        check_out_dir(args.out, "--out")
        if args.workers is not None and args.workers < 1:
            raise BadArgumentError(f"--workers must be 1 or more, got {args.workers}")
    except BadArgumentError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    lead = int(args.lead) if args.lead is not None and args.lead.isdigit() else args.lead
    opts = AnalysisOptions(lead=lead, reference_beats=args.reference_beats, annotator=args.annotator, fs=args.fs,
                           max_hours=args.max_hours, max_signal_mb=args.max_signal_mb, model=args.model, rhythm_model=args.rhythm_model,
                           classify=not args.no_classify, adapt=args.adapt)
    try:
        tasks = find_records(args.sources, download_dir=args.download_dir, exclude=args.out,
                             progress=False if args.quiet else None, follow_links=args.follow_links)
        summary = run_batch(tasks, args.out, opts, address=args.address, workers=args.workers,
                            progress=False if args.quiet else None)
    except ECGError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted; run the same command again to resume (finished records are kept)", file=sys.stderr)
        return 130
    print(summary.text())
    return 1 if summary.n_failed else 0
